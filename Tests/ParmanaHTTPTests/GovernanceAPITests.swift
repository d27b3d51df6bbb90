import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ParmanaCore
@testable import ParmanaHTTP
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting
import Testing

/// Every endpoint and error, in process (HummingbirdTesting's router framework), on a
/// real SQLite store.
@Suite struct GovernanceAPITests {
    @Test func healthAndReadinessAreOpen() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let h = try await client.execute(uri: "/healthz", method: .get)
            #expect(h.status == .ok)
            #expect(try h.json["status"] == "ok")
            #expect(h.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            let r = try await client.execute(uri: "/readyz", method: .get)
            #expect(r.status == .ok)
            #expect(try r.json["status"] == "ready")
        }
    }

    @Test func decisionIsDurableSignedAndReplayRefused() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let r = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                             body: APIFixture.decisionBody("pay_1", amount: 120.5))
            #expect(r.status == .created)
            let body = try r.json
            let id = try #require(body["execution_id"]?.stringValue)
            #expect(r.headers[.location] == "/v1/executions/\(id)")
            #expect(body["execution_state"] == "completed")
            #expect(body["explanation"] == .null)
            // The attestation verifies offline with only the trust store and the signals.
            let report = Verifier(trust: f.harness.fixture.trust).verify(.init(
                attestation: CanonicalJSON.bytes(try #require(body["attestation"])),
                signals: CanonicalJSON.bytes(APIFixture.signals("pay_1", amount: 120.5))))
            #expect(report.valid)
            #expect(report.checks.fingerprintMatches == true)
            // It is durable: the store has it before the response was sent.
            #expect(try await f.store.execution(id)?.state == .completed)

            let again = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                 body: APIFixture.decisionBody("pay_1", amount: 120.5))
            #expect(again.status == .conflict)
            #expect(again.errorCode == "replay_detected")
            #expect(try again.json["error"]?["execution_id"]?.stringValue == id)

            let explained = try await client.execute(
                uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                body: APIFixture.body(["policy_id": "payments.release", "policy_version": "1.2.0",
                                       "signals": APIFixture.signals("pay_2", amount: 5), "explain": true]))
            #expect(explained.status == .created)
            #expect(try explained.json["explanation"]?["rules"] != nil || (try explained.json["explanation"]) != .null)
        }
    }

    @Test func malformedDecisionRequests() async throws {
        let f = try await APIFixture(maxBodyBytes: 2048)
        try await f.application().test(.router) { client in
            func post(_ text: String, headers: HTTPFields = APIFixture.auth(.decide)) async throws -> TestResponse {
                try await client.execute(uri: "/v1/decisions", method: .post, headers: headers, body: ByteBuffer(string: text))
            }
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("{", .badRequest, "invalid_json"),
                ("", .badRequest, "invalid_json"),
                (#"{"policy_id":"payments.release","policy_id":"x","signals":{}}"#, .badRequest, "duplicate_key"),
                (#"{"policy_id":"payments.release"}"#, .badRequest, "invalid_request"),
                (#"{"policy_id":"payments.release","signals":{},"extra":1}"#, .badRequest, "invalid_request"),
                (#"{"policy_id":7,"signals":{}}"#, .badRequest, "invalid_request"),
                (#"{"policy_id":"payments.release","signals":{},"explain":"yes"}"#, .badRequest, "invalid_request"),
                (#"{"policy_id":"no.such.policy","signals":{}}"#, .notFound, "policy_not_found"),
                (#"{"policy_id":"payments.release","policy_version":"9.9.9","signals":{}}"#, .notFound, "policy_not_found"),
                (#"{"policy_id":"payments.release","signals":{"payment_id":1}}"#, .unprocessableContent, "invalid_signals"),
                (#"{"policy_id":"payments.release","signals":{"amount":1e400}}"#, .badRequest, "number_out_of_range"),
                ("{\"policy_id\":\"payments.release\",\"signals\":{\"payment_id\":\"" + String(repeating: "x", count: 4096) + "\"}}",
                 .contentTooLarge, "too_large"),
            ]
            for (text, status, code) in cases {
                let r = try await post(text)
                #expect(r.status == status, "\(text.prefix(80))")
                #expect(r.errorCode == code, "\(text.prefix(80))")
                #expect(try r.json["error"]?["message"]?.stringValue?.isEmpty == false)
            }
            let notFound = try await client.execute(uri: "/v1/nothing", method: .get, headers: APIFixture.auth())
            #expect(notFound.status == .notFound)
            #expect(notFound.errorCode == "not_found")
        }
        // Nothing was consumed or logged by any of them.
        #expect(try await f.store.pending(PendingQuery()).isEmpty)
        #expect(try await f.store.allEntries().allSatisfy { $0.entry.kind != .execution })
    }

    @Test func overrideFlowAndEveryRefusal() async throws {
        let f = try await APIFixture()
        let fixture = f.harness.fixture
        try await f.application().test(.router) { client in
            func decide(_ id: String, _ amount: Double) async throws -> (String, Envelope) {
                let r = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                 body: APIFixture.decisionBody(id, amount: amount))
                #expect(r.status == .created)
                return (try #require(r.json["execution_id"]?.stringValue), try Envelope(json: try #require(r.json["attestation"])))
            }
            func submit(_ id: String, _ env: Envelope, role: APIRole = .override) async throws -> TestResponse {
                try await client.execute(uri: "/v1/executions/\(id)/override", method: .post, headers: APIFixture.auth(role),
                                         body: APIFixture.body(env.json))
            }
            let (pending, attestation) = try await decide("pay_big", 25_000)
            let (other, otherAttestation) = try await decide("pay_big_2", 30_000)
            let (completed, completedAttestation) = try await decide("pay_small", 10)

            // Pending work is listed, paged.
            let list = try await client.execute(uri: "/v1/executions?state=pending_override&limit=1", method: .get, headers: APIFixture.auth(.read))
            #expect(list.status == .ok)
            let first = try list.json
            #expect(first["executions"]?.arrayValue?.count == 1)
            let after = try #require(first["next_after"]?.stringValue)
            let rest = try await client.execute(uri: "/v1/executions?state=pending_override&limit=10&after=\(after)", method: .get,
                                                headers: APIFixture.auth(.read))
            #expect(try rest.json["executions"]?.arrayValue?.count == 1)
            #expect(try rest.json["next_after"] == .null)
            let listed = Set(((first["executions"]?.arrayValue ?? []) + (try rest.json["executions"]?.arrayValue ?? []))
                .compactMap { $0["execution_id"]?.stringValue })
            #expect(listed == [pending, other])
            for bad in ["/v1/executions", "/v1/executions?state=completed", "/v1/executions?state=pending_override&limit=0",
                        "/v1/executions?state=pending_override&limit=x"] {
                let r = try await client.execute(uri: bad, method: .get, headers: APIFixture.auth(.read))
                #expect(r.status == .badRequest, "\(bad)")
                #expect(r.errorCode == "invalid_request", "\(bad)")
            }

            // Refusals, each with its code.
            let strangerKey = SigningKey(roles: [.approver], approverID: "alice@example.com")
            var forged = fixture.override(of: attestation).json
            if case .object(var o) = forged { o["signature"] = .string(Base64.encode([UInt8](repeating: 7, count: 64))); forged = .object(o) }
            let refusals: [(String, JSONValue, HTTPResponse.Status, String)] = [
                (completed, fixture.override(of: completedAttestation).json, .conflict, "not_pending"),
                (pending, fixture.override(of: otherAttestation).json.replacingExecutionID(pending), .conflict, "attestation_mismatch"),
                (pending, fixture.override(of: attestation, key: strangerKey).json, .badRequest, "untrusted_key"),
                (pending, forged, .badRequest, "invalid_signature"),
                (pending, fixture.override(of: otherAttestation).json, .badRequest, "invalid_request"),
                ("6f1c3a52-0000-4000-8000-000000000000", fixture.override(of: attestation).json.replacingExecutionID("6f1c3a52-0000-4000-8000-000000000000"),
                 .notFound, "execution_not_found"),
                (pending, ["payload": ["type": "parmana.override/v1"], "signature": ""], .badRequest, "malformed_payload"),
            ]
            for (id, body, status, code) in refusals {
                let r = try await client.execute(uri: "/v1/executions/\(id)/override", method: .post, headers: APIFixture.auth(.override),
                                                 body: APIFixture.body(body))
                #expect(r.status == status, "\(code)")
                #expect(r.errorCode == code, "\(code): got \(r.errorCode ?? "-")")
            }

            // Accepted once.
            let ok = try await submit(pending, fixture.override(of: attestation))
            #expect(ok.status == .ok)
            #expect(try ok.json["execution_state"] == "override_approved")
            let twice = try await submit(pending, fixture.override(of: attestation, resolution: .reject))
            #expect(twice.status == .conflict)
            #expect(twice.errorCode == "override_already_resolved")
            let rejected = try await submit(other, fixture.override(of: otherAttestation, resolution: .reject))
            #expect(try rejected.json["execution_state"] == "override_rejected")

            // The execution shows its lineage; the attestation is unchanged.
            let exec = try await client.execute(uri: "/v1/executions/\(pending)", method: .get, headers: APIFixture.auth(.read))
            #expect(exec.status == .ok)
            let e = try exec.json
            #expect(e["execution_state"] == "override_approved")
            #expect(e["attestation"] == attestation.json)
            #expect(e["attestation_hash"]?.stringValue == attestation.hash)
            #expect(e["overrides"]?.arrayValue?.count == 1)
            #expect(e["override_seqs"]?.arrayValue?.count == 1)
            #expect(e["quorum"]?["approvals"] == 1 && e["quorum"]?["required"] == 1)
            #expect(e["server_time"]?.stringValue != nil)
            let missing = try await client.execute(uri: "/v1/executions/nope", method: .get, headers: APIFixture.auth(.read))
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "execution_not_found")
            let none = try await client.execute(uri: "/v1/executions?state=pending_override", method: .get, headers: APIFixture.auth(.read))
            #expect(try none.json["executions"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func evaluateIsADryRun() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let signals = APIFixture.signals("pay_e", amount: 20_000)
            let byID = try await client.execute(uri: "/v1/evaluate", method: .post, headers: APIFixture.auth(.decide),
                                                body: APIFixture.body(["policy_id": "payments.release", "signals": signals]))
            #expect(byID.status == .ok)
            #expect(try byID.json["decision"]?["requires_override"] == .bool(true))
            #expect(try byID.json["execution_fingerprint"]?.stringValue == Hashing.fingerprint(signals))
            let byDocument = try await client.execute(uri: "/v1/evaluate", method: .post, headers: APIFixture.auth(.decide),
                                                      body: APIFixture.body(["policy": RuntimeHarness.examplePolicy(), "signals": signals]))
            #expect(byDocument.status == .ok)
            #expect(try byDocument.json["decision"] == byID.json["decision"])
            let both = try await client.execute(uri: "/v1/evaluate", method: .post, headers: APIFixture.auth(.decide),
                                                body: APIFixture.body(["policy_id": "payments.release", "policy": RuntimeHarness.examplePolicy(), "signals": signals]))
            #expect(both.errorCode == "invalid_request")
            let badPolicy = try await client.execute(uri: "/v1/evaluate", method: .post, headers: APIFixture.auth(.decide),
                                                     body: APIFixture.body(["policy": ["type": "parmana.policy/v1"], "signals": signals]))
            #expect(badPolicy.status == .badRequest)
            #expect(badPolicy.errorCode == "invalid_policy")
            // Nothing consumed: the same signals still decide.
            let decided = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                   body: APIFixture.body(["policy_id": "payments.release", "signals": signals]))
            #expect(decided.status == .created)
        }
    }

    @Test func verifyReturnsTheReportForValidAndTampered() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let signals = APIFixture.signals("pay_v", amount: 42)
            let d = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                             body: APIFixture.body(["policy_id": "payments.release", "signals": signals]))
            let attestation = try #require(try d.json["attestation"])
            let policy = try #require(f.harness.policy.envelope?.json)
            let good = try await client.execute(uri: "/v1/verify", method: .post, headers: APIFixture.auth(.read),
                                                body: APIFixture.body(["attestation": attestation, "signals": signals, "policy": policy]))
            #expect(good.status == .ok)
            #expect(try good.json["valid"] == .bool(true))
            #expect(try good.json["authorized"] == .bool(true))
            #expect(try good.json["checks"]?["decision_reproduced"] == .bool(true))

            var tampered = attestation
            if case .object(var o) = tampered, case .object(var p) = o["payload"]! {
                p["execution_fingerprint"] = .string(String(repeating: "0", count: 64))
                o["payload"] = .object(p)
                tampered = .object(o)
            }
            let bad = try await client.execute(uri: "/v1/verify", method: .post, headers: APIFixture.auth(.read),
                                               body: APIFixture.body(["attestation": tampered]))
            #expect(bad.status == .ok)
            #expect(try bad.json["valid"] == .bool(false))
            let badReport = try bad.json
            #expect(badReport["errors"]?.arrayValue?.contains { $0["code"] == "invalid_signature" } == true, "\(badReport)")
            let wrongSignals = try await client.execute(uri: "/v1/verify", method: .post, headers: APIFixture.auth(.read),
                                                        body: APIFixture.body(["attestation": attestation, "signals": APIFixture.signals("other", amount: 1)]))
            #expect(try wrongSignals.json["valid"] == .bool(false))
            let noAttestation = try await client.execute(uri: "/v1/verify", method: .post, headers: APIFixture.auth(.read),
                                                         body: APIFixture.body(["signals": signals]))
            #expect(noAttestation.errorCode == "invalid_request")
        }
    }

    @Test func policiesRuntimeAndTrust() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let list = try await client.execute(uri: "/v1/policies", method: .get, headers: APIFixture.auth(.read))
            let p = try #require(try list.json["policies"]?.arrayValue?.first)
            #expect(p["policy_id"] == "payments.release")
            #expect(p["signed"] == .bool(true))
            let one = try await client.execute(uri: "/v1/policies/payments.release/versions/1.2.0", method: .get, headers: APIFixture.auth(.read))
            #expect(one.status == .ok)
            #expect(try one.json == f.harness.policy.envelope?.json)
            let none = try await client.execute(uri: "/v1/policies/payments.release/versions/0.0.1", method: .get, headers: APIFixture.auth(.read))
            #expect(none.status == .notFound)
            #expect(none.errorCode == "policy_not_found")
            let runtime = try await client.execute(uri: "/v1/runtime", method: .get, headers: APIFixture.auth(.read))
            #expect(try runtime.json["runtime_hash"]?.stringValue == f.harness.fixture.runtimeHash)
            #expect(try runtime.json["manifest"] == f.harness.fixture.manifest.json)
            let trust = try await client.execute(uri: "/v1/trust", method: .get, headers: APIFixture.auth(.read))
            #expect(try TrustStore(json: trust.json).keys.count == f.harness.fixture.trust.keys.count)
        }
    }

    /// SPEC §18 over HTTP: the original status and body, byte for byte, with
    /// Idempotent-Replayed: true; another request with the key is 422.
    @Test func idempotentRetries() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let key = HTTPField.Name("Idempotency-Key")!
            var headers = APIFixture.auth(.decide)
            headers[key] = "order-77"
            let body = APIFixture.decisionBody("idem_1", amount: 77)
            let first = try await client.execute(uri: "/v1/decisions", method: .post, headers: headers, body: body)
            #expect(first.status == .created && first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let size = try await f.store.size()
            let again = try await client.execute(uri: "/v1/decisions", method: .post, headers: headers, body: APIFixture.decisionBody("idem_1", amount: 77))
            #expect(again.status == .created && again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(Array(again.body.readableBytesView) == Array(first.body.readableBytesView), "byte for byte")
            #expect(try await f.store.size() == size)
            let other = try await client.execute(uri: "/v1/decisions", method: .post, headers: headers, body: APIFixture.decisionBody("idem_2", amount: 77))
            #expect(other.status == .unprocessableContent && other.errorCode == "idempotency_key_reused")
            headers[key] = String(repeating: "x", count: 256)
            let tooLong = try await client.execute(uri: "/v1/decisions", method: .post, headers: headers, body: APIFixture.decisionBody("idem_3", amount: 77))
            #expect(tooLong.status == .badRequest && tooLong.errorCode == "invalid_request")
            // Without the key, the same signals are a replay (v1).
            let replay = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide), body: APIFixture.decisionBody("idem_1", amount: 77))
            #expect(replay.status == .conflict && replay.errorCode == "replay_detected")
        }
    }

    @Test func auditLogCheckpointsAndProofs() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            var ids: [String] = []
            for i in 0..<5 {
                let r = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide),
                                                 body: APIFixture.decisionBody("pay_a\(i)", amount: Double(10 + i)))
                ids.append(try #require(r.json["execution_id"]?.stringValue))
            }
            let size = try await f.store.size()
            // A GET never writes: with no checkpoint yet, it says so.
            let none = try await client.execute(uri: "/v1/audit/checkpoint", method: .get, headers: APIFixture.auth(.read))
            #expect(none.status == .conflict && none.errorCode == "not_yet_checkpointed")
            let early = try await client.execute(uri: "/v1/audit/proofs/inclusion?seq=3", method: .get, headers: APIFixture.auth(.read))
            #expect(early.status == .conflict && early.errorCode == "not_yet_checkpointed")
            #expect(try await f.store.checkpoints().isEmpty)
            let signed = try await client.execute(uri: "/v1/audit/checkpoints", method: .post, headers: APIFixture.auth(.read))
            #expect(signed.status == .forbidden)
            let made = try await client.execute(uri: "/v1/audit/checkpoints", method: .post, headers: APIFixture.auth(.admin))
            #expect(made.status == .created)
            let cp = try await client.execute(uri: "/v1/audit/checkpoint", method: .get, headers: APIFixture.auth(.read))
            #expect(cp.status == .ok)
            #expect(try cp.json == made.json)
            let checkpoint = try CheckpointPayload(json: try #require(try cp.json["payload"]))
            #expect(checkpoint.size == size)

            let page = try await client.execute(uri: "/v1/audit/entries?from=2&limit=3", method: .get, headers: APIFixture.auth(.read))
            let entries = try #require(try page.json["entries"]?.arrayValue)
            #expect(entries.count == 3)
            #expect(entries.first?["entry"]?["seq"] == .number(2))
            #expect(try page.json["size"] == .number(Double(size)))

            let proof = try await client.execute(uri: "/v1/audit/proofs/inclusion?execution_id=\(ids[2])", method: .get,
                                                 headers: APIFixture.auth(.read))
            #expect(proof.status == .ok)
            let exec = try #require(try await f.store.execution(ids[2]))
            let verified = try await client.execute(
                uri: "/v1/verify", method: .post, headers: APIFixture.auth(.read),
                body: APIFixture.body(["attestation": exec.attestation.record, "proof": try proof.json]))
            #expect(try verified.json["checks"]?["audit_included"] == .bool(true))
            #expect(try verified.json["valid"] == .bool(true))

            let bySeq = try await client.execute(uri: "/v1/audit/proofs/inclusion?seq=1", method: .get, headers: APIFixture.auth(.read))
            #expect(bySeq.status == .ok)
            let consistency = try await client.execute(uri: "/v1/audit/proofs/consistency?first=2&second=\(size)", method: .get,
                                                       headers: APIFixture.auth(.read))
            #expect(consistency.status == .ok)
            #expect(try consistency.json["proof"]?.arrayValue?.isEmpty == false)
            #expect(try consistency.json["second_root"]?.stringValue == checkpoint.rootHash)

            let bad: [(String, String)] = [
                ("/v1/audit/proofs/inclusion", "invalid_request"), ("/v1/audit/proofs/inclusion?seq=0", "invalid_request"),
                ("/v1/audit/proofs/inclusion?seq=9999", "not_found"), ("/v1/audit/proofs/inclusion?execution_id=nope", "execution_not_found"),
                ("/v1/audit/proofs/inclusion?seq=1&execution_id=\(ids[0])", "invalid_request"),
                ("/v1/audit/proofs/consistency?first=3", "invalid_request"), ("/v1/audit/proofs/consistency?first=5&second=2", "invalid_request"),
                ("/v1/audit/entries?limit=5000", "invalid_request"), ("/v1/audit/entries?from=-1", "invalid_request"),
            ]
            for (uri, code) in bad {
                let r = try await client.execute(uri: uri, method: .get, headers: APIFixture.auth(.read))
                #expect(r.errorCode == code, "\(uri)")
                #expect(r.status == (code.hasSuffix("not_found") ? .notFound : .badRequest), "\(uri)")
            }
        }
    }

    @Test func metricsCountDecisionsRefusalsAndOverrides() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            _ = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide), body: APIFixture.decisionBody("m1", amount: 5))
            _ = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide), body: APIFixture.decisionBody("m1", amount: 5))
            let big = try await client.execute(uri: "/v1/decisions", method: .post, headers: APIFixture.auth(.decide), body: APIFixture.decisionBody("m2", amount: 50_000))
            let att = try Envelope(json: try #require(try big.json["attestation"]))
            _ = try await client.execute(uri: "/v1/executions/\(att.payload["execution_id"]!.stringValue!)/override", method: .post,
                                         headers: APIFixture.auth(.override), body: APIFixture.body(f.harness.fixture.override(of: att).json))
            let m = try await client.execute(uri: "/metrics", method: .get, headers: APIFixture.auth(.read))
            #expect(m.status == .ok)
            let text = String(buffer: m.body)
            #expect(text.contains(#"parmana_decisions_total{action="approve",state="completed"} 1"#))
            #expect(text.contains(#"parmana_decisions_total{action="approve",state="pending_override"} 1"#))
            #expect(text.contains("parmana_replay_refusals_total 1"))
            #expect(text.contains(#"parmana_overrides_total{resolution="approve"} 1"#))
            #expect(text.contains("parmana_decision_duration_seconds_count 2"))
            #expect(text.contains("parmana_store_errors_total 0"))
        }
    }

    /// Every role against every endpoint class: no token 401, unknown token 401,
    /// wrong role 403, right role (or admin) passes authentication.
    @Test func authMatrix() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            for (route, required) in GovernanceAPI.routeRoles {
                let parts = route.split(separator: " ")
                let method: HTTPRequest.Method = parts[0] == "GET" ? .get : .post
                let uri = String(parts[1]).replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{version}", with: "1.0.0")
                    .replacingOccurrences(of: "/console/vectors/jcs/{file}", with: "/console/vectors/jcs/numbers.txt")
                    .replacingOccurrences(of: "{file}", with: "app.js")
                let body = method == .post ? ByteBuffer(string: "{}") : nil
                func status(_ headers: HTTPFields) async throws -> TestResponse {
                    try await client.execute(uri: uri, method: method, headers: headers, body: body)
                }
                guard let required else {
                    let r = try await status([:])
                    switch route {
                    case "GET /console": #expect(r.status == .permanentRedirect, "\(route) redirects to /console/")
                    case "GET /console/vectors/jcs/{file}": #expect(r.status == .notFound, "\(route) serves nothing unless configured")
                    default: #expect(r.status == .ok, "\(route) is open")
                    }
                    continue
                }
                let none = try await status([:])
                #expect(none.status == .unauthorized, "\(route) without a token")
                #expect(none.errorCode == "unauthorized")
                #expect(try await status([.authorization: "Bearer \(APIFixture.unknownToken)"]).status == .unauthorized, "\(route)")
                #expect(try await status([.authorization: "Basic abc"]).status == .unauthorized, "\(route)")
                for role in [APIRole.decide, .read, .override, .admin] {
                    let r = try await status(APIFixture.auth(role))
                    if role == required || role == .admin {
                        #expect(r.status != .unauthorized && r.status != .forbidden, "\(route) as \(role)")
                    } else {
                        #expect(r.status == .forbidden, "\(route) as \(role): \(r.status)")
                        #expect(r.errorCode == "forbidden")
                    }
                }
            }
        }
    }

    @Test func tokensAreCheckedByHash() throws {
        #expect(throws: ParmanaError.self) { try APIToken(name: "t", sha256Hex: "abc", roles: ["read"]) }
        #expect(throws: ParmanaError.self) { try APIToken(name: "t", sha256Hex: String(repeating: "a", count: 64), roles: ["root"]) }
        #expect(throws: ParmanaError.self) { try APIToken(name: "t", sha256Hex: String(repeating: "a", count: 64), roles: []) }
        let t = try APIToken(name: "t", sha256Hex: Hashing.sha256Hex(Array("s3cret".utf8)), roles: ["read"])
        let auth = TokenAuthenticator(tokens: [t])
        #expect(try auth.authenticate("Bearer s3cret").name == "t")
        #expect(try auth.authenticate("bearer   s3cret ").name == "t")
        #expect(throws: ParmanaError(.unauthorized, "unknown token")) { try auth.authenticate("Bearer s3cre") }
        #expect((try? auth.authorize("Bearer s3cret", role: .decide)) == nil)
    }
}

extension JSONValue {
    /// An override envelope's JSON with the payload's execution id replaced (signature then fails,
    /// but the execution lookup happens first).
    func replacingExecutionID(_ id: String) -> JSONValue {
        guard case .object(var o) = self, case .object(var p) = o["payload"]! else { return self }
        p["execution_id"] = .string(id)
        o["payload"] = .object(p)
        return .object(o)
    }
}

/// The edge's mapping of errors the handlers do not expect.
@Suite struct ErrorMappingTests {
    struct Unexpected: Error {}

    @Test func unexpectedErrorsBecome500InternalErrorInTheSection13Shape() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(metrics: ServerMetrics()))
        router.get("/boom") { _, _ -> Response in throw Unexpected() }
        router.get("/http") { _, _ -> Response in throw HTTPError(.methodNotAllowed) }
        try await Application(router: router).test(.router) { client in
            let r = try await client.execute(uri: "/boom", method: .get)
            #expect(r.status == .internalServerError)
            #expect(r.errorCode == "internal_error")
            #expect(r.headers[HTTPField.Name("X-Request-Id")!] != nil)
            let h = try await client.execute(uri: "/http", method: .get)
            #expect(h.status == .methodNotAllowed)
            #expect(h.errorCode == "invalid_request")
        }
    }

    @Test func everyCodeHasAStatus() {
        for code in ErrorCode.allCases {
            let status = ErrorStatus.of(code).code
            #expect([400, 401, 403, 404, 408, 409, 413, 422, 500, 503].contains(status), "\(code)")
        }
        #expect(ErrorStatus.of(.replayDetected) == .conflict)
        #expect(ErrorStatus.of(.storeUnavailable) == .serviceUnavailable)
        #expect(ErrorStatus.of(.invalidSignals) == .unprocessableContent)
        #expect(ErrorStatus.of(.tooLarge) == .contentTooLarge)
    }

    @Test func unsupportedMethodOnAKnownPathIsASection13Error() async throws {
        let f = try await APIFixture()
        try await f.application().test(.router) { client in
            let r = try await client.execute(uri: "/v1/decisions", method: .delete, headers: APIFixture.auth())
            #expect([404, 405].contains(r.status.code))
            #expect(r.errorCode != nil)
        }
    }
}
