import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ParmanaCore
import ParmanaHTTP
import ParmanaRedis
import ParmanaRuntime
import ParmanaTesting
import Testing

@Suite("Two nodes, two SQLite logs, one Redis")
struct TwoNodeTests {
    @Test("64 concurrent identical decisions on two nodes: exactly one winner, the others replay_detected naming it")
    func oneWinnerAcrossNodes() async throws {
        let prefix = RedisTestEnvironment.freshPrefix()
        let a = try await ClusterNode("node-a", prefix: prefix)
        let b = try await ClusterNode("node-b", prefix: prefix, fixture: a.harness.fixture)
        let signals = RuntimeHarness.signals("p-contested", amount: 42)
        let results = await withTaskGroup(of: Result<DecisionResult, ParmanaError>.self) { group in
            for i in 0..<64 {
                let node = i % 2 == 0 ? a : b
                group.addTask {
                    do throws(ParmanaError) { return .success(try await node.decide(signals)) } catch { return .failure(error) }
                }
            }
            var all: [Result<DecisionResult, ParmanaError>] = []
            for await r in group { all.append(r) }
            return all
        }
        let winners = results.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        let winner = try #require(winners.first).executionID
        let refusals = results.compactMap { if case .failure(let e) = $0 { e } else { nil } }
        #expect(refusals.count == 63)
        #expect(refusals.allSatisfy { $0.code == .replayDetected && $0.executionID == winner }, "\(refusals.prefix(3))")
        let inA = try await a.sqlite.consumer(of: fingerprint(signals)), inB = try await b.sqlite.consumer(of: fingerprint(signals))
        #expect([inA, inB].compactMap { $0 } == [winner], "exactly one log has the execution")
        #expect(try await a.sqlite.size() + b.sqlite.size() == 2 + 2 + 1)
        await a.close()
        await b.close()
    }

    static let token = "pmn_decide_secret"

    static func api(_ node: ClusterNode) throws -> some ApplicationProtocol {
        let tokens = [try APIToken(name: "decide", sha256Hex: Hashing.sha256Hex(Array(token.utf8)), roles: ["decide"])]
        var logger = Logger(label: "parmana-test")
        logger.logLevel = .warning
        let api = GovernanceAPI(runtime: node.runtime, settings: APISettings(tokens: tokens, maxBodyBytes: 64 * 1024, requestTimeout: .seconds(30)))
        return try GovernanceServer(api: api, host: "127.0.0.1", port: 0, logger: logger).application()
    }

    static func post(_ app: some ApplicationProtocol, _ body: JSONValue, key: String) async throws -> (HTTPResponse.Status, [UInt8], HTTPFields) {
        try await app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/decisions", method: .post,
                                             headers: [.authorization: "Bearer \(token)", HTTPField.Name("Idempotency-Key")!: key],
                                             body: ByteBuffer(bytes: CanonicalJSON.bytes(body)))
            return (r.status, Array(r.body.readableBytesView), r.headers)
        }
    }

    static func get(_ app: some ApplicationProtocol, _ path: String) async throws -> (HTTPResponse.Status, JSONValue) {
        try await app.test(.router) { client in
            let r = try await client.execute(uri: path, method: .get)
            return (r.status, try JSONParser().parse(Array(r.body.readableBytesView)))
        }
    }

    @Test("/readyz reports each store: evidence and replay")
    func readiness() async throws {
        let a = try await ClusterNode("node-a", prefix: RedisTestEnvironment.freshPrefix())
        let (status, body) = try await Self.get(try Self.api(a), "/readyz")
        #expect(status == .ok)
        #expect(body == ["status": "ready", "stores": ["evidence": "ready", "replay": "ready"]])
        await a.close()
    }

    @Test("an idempotent retry on node B of node A's decision returns A's body byte for byte; nothing is logged on B")
    func idempotentRetryOnAnotherNode() async throws {
        let prefix = RedisTestEnvironment.freshPrefix()
        let a = try await ClusterNode("node-a", prefix: prefix)
        let b = try await ClusterNode("node-b", prefix: prefix, fixture: a.harness.fixture)
        let request: JSONValue = ["policy_id": "payments.release", "explain": true,
                                  "signals": ["payment_id": "p-idem", "amount": 15_000, "currency": "EUR", "kyc_verified": true]]
        let (statusA, bodyA, headersA) = try await Self.post(try Self.api(a), request, key: "order-77")
        #expect(statusA == .created)
        #expect(headersA[HTTPField.Name("Idempotent-Replayed")!] == nil)
        let sizeB = try await b.sqlite.size()
        let (statusB, bodyB, headersB) = try await Self.post(try Self.api(b), request, key: "order-77")
        #expect(statusB == .created)
        #expect(bodyB == bodyA, "byte for byte")
        #expect(headersB[HTTPField.Name("Idempotent-Replayed")!] == "true")
        #expect(try JSONParser().parse(bodyA)["execution_state"] == "pending_override")
        #expect(try await b.sqlite.size() == sizeB, "nothing signed, consumed or logged on B")
        // The same key for another request: refused on either node.
        var other = request
        if case .object(var o) = other { o["explain"] = false; other = .object(o) }
        let (statusReused, bodyReused, _) = try await Self.post(try Self.api(b), other, key: "order-77")
        #expect(statusReused == .unprocessableContent)
        #expect(try JSONParser().parse(bodyReused)["error"]?["code"] == "idempotency_key_reused")
        await a.close()
        await b.close()
    }

    @Test("a key whose first request is still being decided on another node: 409 request_in_progress")
    func inProgressOnAnotherNode() async throws {
        let prefix = RedisTestEnvironment.freshPrefix()
        let a = try await ClusterNode("node-a", prefix: prefix)
        let b = try await ClusterNode("node-b", prefix: prefix, fixture: a.harness.fixture)
        let signals = RuntimeHarness.signals("p-slow", amount: 5)
        let fp = fingerprint(signals)
        // Node A's claim, as it stands between its claim and its local commit.
        let requestHash = Runtime.requestHash(policyID: "payments.release", version: nil, fingerprint: fp, explain: false)
        let claim = ReplayClaim(fingerprint: fp, nodeID: "node-a", executionID: RandomExecutionIDs().next())
        #expect(try await a.replay.consume(claim, idempotency: IdempotencyRecord(key: "order-slow", requestHash: requestHash,
                                                                                  executionID: claim.executionID)) == .consumed)
        let (status, body, _) = try await Self.post(try Self.api(b), ["policy_id": "payments.release", "signals": try JSONParser().parse(signals)],
                                                   key: "order-slow")
        #expect(status == .conflict)
        #expect(try JSONParser().parse(body)["error"]?["code"] == "request_in_progress")
        await a.close()
        await b.close()
    }
}
