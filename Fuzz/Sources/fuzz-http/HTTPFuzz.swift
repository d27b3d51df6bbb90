// HTTP request body decoding. The handlers of ParmanaHTTP.GovernanceAPI are internal
// to that module (and ParmanaHTTP is not a product of the package), so this target
// replays exactly what each handler does with a body, on the same public pieces:
// `JSONParser(maxBytes:)` (the server's body limit, 1 MiB by default), `FieldReader`
// with `invalid_request`, then the same runtime call (`Runtime.decide`,
// `LoadedPolicy` + `explain`, `Verifier.verify`, `Runtime.override`) on a fresh
// in-memory runtime (the harness keys, every example policy, two pending executions).
// What is not fuzzed here: Hummingbird's HTTP parsing, headers, the body size and time
// limits before parsing (scripts/api-fuzz.sh covers the served API end to end).
//
// Input: route byte, then the body. Route: `D` POST /v1/decisions, `E` /v1/evaluate,
// `V` /v1/verify, `O` /v1/executions/{id}/override, `R` the same with every envelope in
// the body re-signed by the harness key it names (other bytes: byte mod 5).
// Properties, besides no crash:
// - no body makes a handler fail with a server-side code (5xx: store_unavailable,
//   signer_unavailable, internal_error, io, invalid_config, projection_mismatch);
// - a decision made is verified offline as valid (same fingerprint, policy, decision)
//   and reads back from the log; an override accepted verifies as valid and the
//   execution reads back.
import FuzzSupport
import ParmanaCore
import ParmanaRuntime

let parser = JSONParser(maxBytes: JSONParser.defaultMaxBytes)
let pendingSignals: [(String, JSONValue)] = [
    ("payments.release", Harness.examples.first { $0.name == "payments.release" }!.cases[2]),
    ("payments.dual-control", Harness.examples.first { $0.name == "payments.dual-control" }!.cases[2]),
]

/// A fresh runtime with two pending executions (ids …0001 and …0002).
func setup() async -> (Runtime, [DecisionResult]) {
    let rt = await Harness.runtime()
    var pending: [DecisionResult] = []
    for (id, s) in pendingSignals { pending.append(try! await rt.decide(policyID: id, signals: s)) }
    return (rt, pending)
}

func override(_ a: Envelope, by key: SigningKey, _ resolution: Action = .approve) -> JSONValue {
    var at = Harness.noon
    at.millisecondsSinceEpoch += 10_000
    return Envelope.sign(OverridePayload(
        executionID: a.payload["execution_id"]!.stringValue!, attestationHash: a.hash, resolution: resolution,
        reason: "checked", approverID: key.approverID!, resolvedAt: at, keyID: key.keyID).json, with: key).json
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    Fuzz.writeSeedsIfAsked {
        let (_, pending) = Fuzz.blocking { await setup() }
        func seed(_ name: String, _ route: String, _ body: JSONValue) -> (name: String, bytes: [UInt8]) {
            (name, Array(route.utf8) + CanonicalJSON.bytes(body))
        }
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (i, ex) in Harness.examples.enumerated() {
            let doc = try! JSONParser().parse(ex.bytes)
            for (j, s) in ex.cases.prefix(3).enumerated() {
                seeds.append(seed("decide-\(i)-\(j).bin", "D", ["policy_id": doc["policy_id"]!, "signals": s, "explain": .bool(j == 1)]))
                seeds.append(seed("evaluate-\(i)-\(j).bin", "E", ["policy_id": doc["policy_id"]!, "signals": s]))
            }
            if let s = ex.cases.first {
                seeds.append(seed("evaluate-doc-\(i).bin", "E", ["policy": doc, "signals": s]))
                seeds.append(seed("decide-pinned-\(i).bin", "D", ["policy_id": doc["policy_id"]!, "policy_version": doc["version"]!, "signals": s]))
            }
        }
        for c in World.shared.cases {
            var body = JSONObject([("attestation", c.attestation.json), ("signals", try! JSONParser().parse(c.signals)),
                                   ("policy", try! JSONParser().parse(c.policy)), ("require_known_runtime", true)])
            if let p = c.proof { body["proof"] = p.json }
            if !c.overrides.isEmpty { body["overrides"] = .array(c.overrides.map(\.json)) }
            seeds.append(seed("verify-\(c.name).bin", "V", .object(body)))
            if let o = c.overrides.first { seeds.append(seed("verify-override-\(c.name).bin", "V", ["attestation": c.attestation.json, "override": o.json])) }
        }
        seeds.append(seed("override-alice.bin", "O", override(pending[0].attestation, by: Harness.alice)))
        seeds.append(seed("override-reject.bin", "O", override(pending[0].attestation, by: Harness.alice, .reject)))
        seeds.append(seed("override-dual.bin", "O", override(pending[1].attestation, by: Harness.bob)))
        seeds.append(seed("override-resign.bin", "R", override(pending[1].attestation, by: Harness.alice)))
        return seeds
    }
    return 0
}

/// What the handlers throw for a request: nil when it succeeded.
func serve(route: UInt8, body raw: [UInt8]) async -> ParmanaError? {
    let (rt, pending) = await setup()
    do throws(ParmanaError) {
        var body = try parser.parse(raw)
        switch route {
        case UInt8(ascii: "D"):  // GovernanceAPI.decide
            var r = try FieldReader(body, code: .invalidRequest)
            let policyID = try r.string("policy_id")
            let version = try r.optionalString("policy_version")
            let signals = try r.required("signals")
            let explain = try r.optionalBool("explain") ?? false
            try r.finish()
            let result = try await rt.decide(policyID: policyID, version: version, signals: signals, explain: explain, idempotencyKey: nil)
            _ = CanonicalJSON.bytes(result.json)
            let ref = result.attestation.payload["policy"]
            let policy = Harness.policies.first {
                $0.policy.policyID == ref?["policy_id"]?.stringValue && $0.policy.version.text == ref?["version"]?.stringValue
            }!
            let report = Verifier(trust: Harness.trust).verify(.init(
                attestation: CanonicalJSON.bytes(result.attestation.json), signals: CanonicalJSON.bytes(signals),
                policy: CanonicalJSON.bytes(policy.envelope!.json), requireKnownRuntime: true))
            if !report.valid || report.checks.decisionReproduced != true {
                Fuzz.fail("a decision the runtime made does not verify: \(CanonicalJSON.string(report.json))")
            }
            _ = try await rt.execution(result.executionID)
        case UInt8(ascii: "E"):  // GovernanceAPI.evaluate
            var r = try FieldReader(body, code: .invalidRequest)
            let policyID = try r.optionalString("policy_id")
            let version = try r.optionalString("policy_version")
            let document = r.optional("policy")
            let signals = try r.required("signals")
            try r.finish()
            let compiled: CompiledPolicy
            switch (policyID, document) {
            case (let id?, nil): compiled = try rt.policy(id, version: version).compiled
            case (nil, let doc?): compiled = try LoadedPolicy(json: doc, trust: rt.config.trust, requireSigned: false).compiled
            default: throw ParmanaError(.invalidRequest, "give exactly one of policy_id or policy")
            }
            let (decision, explanation) = try compiled.explain(signals)
            _ = CanonicalJSON.bytes([
                "decision": decision.json, "explanation": explanation.json, "policy": compiled.policy.reference.json,
                "execution_fingerprint": .string(Hashing.fingerprint(signals)),
            ])
        case UInt8(ascii: "V"):  // GovernanceAPI.verify
            var r = try FieldReader(body, code: .invalidRequest)
            let attestation = try r.required("attestation")
            func bytes(_ key: String) -> [UInt8]? {
                guard let v = r.optional(key), !v.isNull else { return nil }
                return CanonicalJSON.bytes(v)
            }
            var overrides: [[UInt8]] = []
            if let list = r.optional("overrides"), !list.isNull {
                guard let items = list.arrayValue else { throw r.error("overrides", "expected an array of override envelopes") }
                overrides = items.map { CanonicalJSON.bytes($0) }
            }
            let input = Verifier.Input(
                attestation: CanonicalJSON.bytes(attestation), override: bytes("override"), overrides: overrides, signals: bytes("signals"),
                policy: bytes("policy"), proof: bytes("proof"),
                requireKnownRuntime: try r.optionalBool("require_known_runtime") ?? false)
            try r.finish()
            _ = CanonicalJSON.bytes(Verifier(trust: rt.config.trust).verify(input).json)
        default:  // GovernanceAPI.override (R: re-signed)
            if route == UInt8(ascii: "R") { body = Harness.resign(body) }
            let named = body["payload"]?["execution_id"]?.stringValue
            let id = pending.first { $0.executionID == named }?.executionID ?? pending[0].executionID
            if let named, named != id {
                throw ParmanaError(.invalidRequest, "the override is for execution \(named), but was posted to \(id)")
            }
            let result = try await rt.override(body)
            _ = CanonicalJSON.bytes(result.json)
            let attestation = pending.first { $0.executionID == id }!.attestation
            let report = Verifier(trust: Harness.trust).verify(.init(
                attestation: CanonicalJSON.bytes(attestation.json), overrides: [CanonicalJSON.bytes(body)]))
            if report.checks.overrideValid != true {
                Fuzz.fail("an override the runtime accepted does not verify: \(CanonicalJSON.string(report.json))")
            }
            _ = try await rt.execution(id)
        }
        return nil
    } catch {
        return error
    }
}

let serverSide: Set<ErrorCode> = [.storeUnavailable, .signerUnavailable, .internalError, .io, .invalidConfig, .projectionMismatch]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    guard let first = bytes.first else { return 0 }
    let routes: [UInt8] = Array("DEVOR".utf8)
    let route = routes.contains(first) ? first : routes[Int(first) % routes.count]
    let body = Array(bytes.dropFirst())
    if let error = Fuzz.blocking({ await serve(route: route, body: body) }), serverSide.contains(error.code) {
        Fuzz.fail("route \(Character(Unicode.Scalar(route))): a request body gives the server-side error \(error)")
    }
    return 0
}
