import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ParmanaCore
import ParmanaHTTP
import ParmanaRuntime
import ParmanaSQLite
import ParmanaWorkspace
import ParmanaTesting
import Synchronization
import Testing

/// The server over real sockets: end to end, concurrency, store failure, shutdown, timeouts.
@Suite struct HTTPServerTests {
    @Test func endToEndOverARealSocket() async throws {
        let f = try await APIFixture()
        try await f.application().test(.live) { client in
            #expect(client.port != nil)
            let d = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                             body: APIFixture.decisionBody("live_1", amount: 9_999))
            #expect(d.status == .created)
            let id = try #require(try d.json["execution_id"]?.stringValue)
            let replay = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                  body: APIFixture.decisionBody("live_1", amount: 9_999))
            #expect(replay.status == .conflict)
            let e = try await client.execute(uri: "/v1/executions/\(id)", method: .get, headers: APIFixture.auth(.read))
            #expect(try e.json["execution_state"] == "completed")
            let doc = try await client.execute(uri: "/v1/openapi.json", method: .get)
            #expect(try doc.json["openapi"] == "3.1.0")
        }
    }

    /// 200 parallel identical decisions over HTTP: exactly one 201, 199 × 409 replay_detected.
    /// A client of its own with 64 connections, so the requests really are concurrent.
    @Test func twoHundredParallelIdenticalDecisionsHaveOneWinner() async throws {
        let f = try await APIFixture()
        let statuses = try await f.application().test(.live) { testClient in
            let port = try #require(testClient.port)
            var config = HTTPClient.Configuration()
            config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
            config.timeout = .init(connect: .seconds(30), read: .seconds(120))
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
            let result: Result<[(Int, String?)], any Error>
            do { result = .success(try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/decisions")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(APIFixture.tokens[.decide]!)")
                        request.body = .bytes(APIFixture.decisionBody("same", amount: 77))
                        let response = try await http.execute(request, timeout: .seconds(120))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let code = (try? JSONParser().parse(Array(body.readableBytesView)))?["error"]?["code"]?.stringValue
                        return (Int(response.status.code), code)
                    }
                }
                var all: [(Int, String?)] = []
                for try await s in group { all.append(s) }
                return all
            }) } catch { result = .failure(error) }
            try await http.shutdown()
            return try result.get()
        }
        #expect(statuses.count == 200)
        #expect(statuses.filter { $0.0 == 201 }.count == 1)
        #expect(statuses.filter { $0.0 == 409 && $0.1 == "replay_detected" }.count == 199)
        #expect(try await f.store.allEntries().filter { $0.entry.kind == .execution }.count == 1)
    }

    /// A store that cannot commit gives 503 store_unavailable and no attestation exists.
    @Test func storeFailureGives503AndNoAttestation() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            await f.store.close()  // the real SQLite store, closed underneath the server
            let r = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                             body: APIFixture.decisionBody("lost", amount: 10))
            #expect(r.status == .serviceUnavailable)
            #expect(r.errorCode == "store_unavailable")
            #expect(try r.json["attestation"] == nil)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: APIFixture.auth(.read))
            let text = String(buffer: metrics.body)
            #expect(text.contains("parmana_store_errors_total 1"), "\(text.split(separator: "\n").filter { $0.contains("store_errors") })")
        }
        // Reopened, the file has no trace of that fingerprint.
        let reopened = try SQLiteEvidenceStore(path: f.path)
        let fingerprint = Hashing.fingerprint(APIFixture.signals("lost", amount: 10))
        #expect(try await reopened.consumer(of: fingerprint) == nil)
        #expect(try await reopened.allEntries().allSatisfy { $0.entry.executionFingerprint != fingerprint })
        await reopened.close()
    }

    /// Graceful shutdown: a decision in flight when shutdown starts completes with 201,
    /// then the server stops and the store is flushed and closed.
    @Test func gracefulShutdownFinishesInFlightDecisions() async throws {
        let sqlitePath = APIFixture.tempPath()
        let gated = GatedEvidenceStore(try SQLiteEvidenceStore(path: sqlitePath))
        let f = try await APIFixture(store: gated)
        let server = GovernanceServer(api: f.api, host: "127.0.0.1", port: 0, logger: f.logger)
        let control = ServerControl()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run(services: [StoreService(store: gated, logger: f.logger)], control: control) { address in
                    portSink.yield(address?.port ?? 0)
                }
            }
            var it = ports.makeAsyncIterator()
            let port = try #require(await it.next())
            gated.closeGate()
            let response = Task {
                try await TestClient.withClient(host: "127.0.0.1", port: port) { c in
                    try await c.execute(TestClient.Request("/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                           body: APIFixture.decisionBody("inflight", amount: 12)))
                }
            }
            await gated.waitForHeldCommit()  // the decision is in flight, inside the store
            await control.shutdown()
            gated.openGate()
            let r = try await response.value
            #expect(r.status == .created)
            try await group.waitForAll()  // run() returned: stopped, store closed
        }
        #expect(gated.closed)
        let reopened = try SQLiteEvidenceStore(path: sqlitePath)
        #expect(try await reopened.consumer(of: Hashing.fingerprint(APIFixture.signals("inflight", amount: 12))) != nil)
        await reopened.close()
    }

    /// Past max_inflight, a decision is refused at once with 503 overloaded and
    /// Retry-After; the admitted ones complete (issue 13).
    @Test func overloadIsRefusedAtOnce() async throws {
        let gated = GatedEvidenceStore(try SQLiteEvidenceStore(path: APIFixture.tempPath()))
        let f = try await APIFixture(store: gated, maxInflight: 2)
        // In process: the requests reach the router concurrently, whatever a client pool would do.
        try await f.application().test(.router) { client in
            gated.closeGate()
            let admitted = (0..<2).map { i in
                Task {
                    try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                             body: APIFixture.decisionBody("held_\(i)", amount: 5))
                }
            }
            await gated.waitForHeldCommits(2)
            let refused = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                   body: APIFixture.decisionBody("third", amount: 5))
            #expect(refused.status == .serviceUnavailable && refused.errorCode == "overloaded")
            #expect(refused.headers[.retryAfter] == "1")
            // Reads are not decisions: they are not refused.
            let read = try await client.execute(uri: "/v1/policies", method: .get, headers: APIFixture.auth(.read))
            #expect(read.status == .ok)
            gated.openGate()
            for t in admitted { #expect(try await t.value.status == .created) }
            let after = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                 body: APIFixture.decisionBody("third", amount: 5))
            #expect(after.status == .created)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: APIFixture.auth(.read))
            #expect(String(buffer: metrics.body).contains("parmana_overload_refusals_total 1"))
        }
    }

    /// A client that stops sending its body gets 408 request_timeout.
    @Test func slowBodyTimesOut() async throws {
        let f = try await APIFixture(requestTimeout: .milliseconds(300))
        try await f.application().test(.live) { client in
            let port = try #require(client.port)
            let reply = try RawSocket.exchange(port: port, send: """
                POST /v1/decisions HTTP/1.1\r
                Host: 127.0.0.1\r
                Authorization: Bearer \(APIFixture.tokens[.decide]!)\r
                Content-Type: application/json\r
                Content-Length: 100\r
                \r
                {"policy_id":
                """)
            #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply.prefix(200))")
            #expect(reply.contains("request_timeout"))
        }
    }
}

/// Wraps a real store and, while its gate is closed, holds execution commits until it
/// opens: a decision can be kept "in flight" without sleeping.
final class GatedEvidenceStore: EvidenceStore {
    let inner: any EvidenceStore
    private struct State {
        var gateClosed = false
        var held: [CheckedContinuation<Void, Never>] = []
        var heldWaiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }
    private let state = Mutex(State())

    init(_ inner: any EvidenceStore) { self.inner = inner }

    var closed: Bool { state.withLock { $0.closed } }
    func closeGate() { state.withLock { $0.gateClosed = true } }
    func openGate() {
        let held = state.withLock { s in
            s.gateClosed = false
            defer { s.held = [] }
            return s.held
        }
        held.forEach { $0.resume() }
    }

    /// Returns once `n` commits are being held at the gate (bounded polling, no sleep
    /// of the code under test).
    func waitForHeldCommits(_ n: Int) async {
        for _ in 0..<100_000 where state.withLock({ $0.held.count }) < n { await Task.yield() }
    }

    /// Returns once a commit is being held at the gate.
    func waitForHeldCommit() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if !s.held.isEmpty { return true }
                s.heldWaiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let (pass, waiters) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                guard s.gateClosed else { return (true, []) }
                s.held.append(cont)
                defer { s.heldWaiters = [] }
                return (false, s.heldWaiters)
            }
            waiters.forEach { $0.resume() }
            if pass { cont.resume() }
        }
        return try await inner.commit(c)
    }

    func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome { try await inner.commit(c) }
    func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int {
        try await inner.append(event: kind, record: record, at: at)
    }
    func execution(_ id: String) async throws(StoreError) -> StoredExecution? { try await inner.execution(id) }
    func consumer(of fingerprint: String) async throws(StoreError) -> String? { try await inner.consumer(of: fingerprint) }
    func pending(_ q: PendingQuery) async throws(StoreError) -> [StoredExecution] { try await inner.pending(q) }
    func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] { try await inner.expiring(at: time, limit: limit) }
    func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? { try await inner.idempotency(key) }
    func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] { try await inner.entries(from: seq, limit: limit) }
    func size() async throws(StoreError) -> Int { try await inner.size() }
    func treeHashes(_ nodes: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] { try await inner.treeHashes(nodes) }
    func latestCheckpoint() async throws(StoreError) -> Envelope? { try await inner.latestCheckpoint() }
    func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? { try await inner.lastEvent(kind) }
    func containsEvent(recordHash: String) async throws(StoreError) -> Bool { try await inner.containsEvent(recordHash: recordHash) }
    func add(checkpoint: Envelope) async throws(StoreError) { try await inner.add(checkpoint: checkpoint) }
    func checkpoints() async throws(StoreError) -> [Envelope] { try await inner.checkpoints() }
    func projectionRows() async throws(StoreError) -> [ProjectionRow] { try await inner.projectionRows() }
    func isHealthy() async -> Bool { await inner.isHealthy() }
    func close() async {
        await inner.close()
        state.withLock { $0.closed = true }
    }
}

/// A blocking loopback TCP exchange, for requests no HTTP client would send.
enum RawSocket {
    static func exchange(port: Int, send text: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { throw POSIXError(.ECONNREFUSED) }
        var tv = timeval(tv_sec: 50, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buf[0..<n]
            if let s = String(bytes: out, encoding: .utf8), s.contains("\r\n\r\n"), s.contains("}") { break }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
