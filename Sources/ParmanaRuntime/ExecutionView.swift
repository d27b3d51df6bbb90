import ParmanaCore

/// An execution as the runtime serves it (`GET /v1/executions/{id}`, SPEC §15, §19.4):
/// rebuilt from its log records — the attestation, then each accepted override or
/// expiry through ``ExecutionLifecycle`` — never taken on the store's word. A stored
/// state that disagrees with the log, or retained signals whose fingerprint does not
/// match, is `projection_mismatch` and is never served.
public struct ExecutionView: Sendable {
    public var lifecycle: ExecutionLifecycle
    public var attestation: Envelope
    public var attestationPayload: AttestationPayload
    /// Accepted overrides, in order, with their seqs.
    public var overrides: [(seq: Int, envelope: Envelope)]
    public var expiry: (seq: Int, envelope: Envelope)?
    /// Retained signals, checked against the fingerprint; nil when not retained.
    public var signals: JSONValue?
    /// The explanation trace, when signals are retained and the policy is loaded.
    public var explanation: Explanation?

    public init(_ s: StoredExecution, policies: PolicyRegistry) throws(ParmanaError) {
        func mismatch(_ m: String) -> ParmanaError {
            var e = ParmanaError(.projectionMismatch, "execution \(s.executionID): \(m)")
            e.executionID = s.executionID
            return e
        }
        let env: Envelope
        let payload: AttestationPayload
        do throws(ParmanaError) {
            env = try Envelope(json: try JSONParser(maxBytes: Int.max).parse(s.attestation.recordBytes))
            payload = try AttestationPayload(json: env.payload)
        } catch {
            throw mismatch("its attestation record does not decode: \(error.message)")
        }
        guard payload.executionID == s.executionID, s.attestation.entry.seq == s.seq else {
            throw mismatch("the store points at another execution's entry")
        }
        var life = ExecutionLifecycle(payload, attestationHash: Hashing.sha256Hex(s.attestation.recordBytes), seq: s.seq)
        var overrides: [(seq: Int, envelope: Envelope)] = []
        var expiry: (seq: Int, envelope: Envelope)?
        for r in s.resolutions {
            do throws(ParmanaError) {
                let renv = try Envelope(json: try JSONParser(maxBytes: Int.max).parse(r.recordBytes))
                switch r.entry.kind {
                case .override:
                    let o = try OverridePayload(json: renv.payload)
                    guard o.executionID == s.executionID, life.refusal(o) == nil else { throw mismatch("an override at seq \(r.entry.seq) does not apply") }
                    life = life.accepting(o, seq: r.entry.seq)
                    overrides.append((r.entry.seq, renv))
                case .overrideExpired:
                    let x = try ExpiryPayload(json: renv.payload)
                    guard x.executionID == s.executionID, life.refusal(x) == nil else { throw mismatch("the expiry at seq \(r.entry.seq) does not apply") }
                    life = life.expiring(seq: r.entry.seq)
                    expiry = (r.entry.seq, renv)
                default:
                    throw mismatch("seq \(r.entry.seq) is not a resolution")
                }
            } catch {
                throw error.code == .projectionMismatch ? error : mismatch("a resolution record does not decode: \(error.message)")
            }
        }
        guard life.state == s.state else {
            throw mismatch("the store serves it as \(s.state.rawValue), but its log records make it \(life.state.rawValue)")
        }
        lifecycle = life
        attestation = env
        attestationPayload = payload
        self.overrides = overrides
        self.expiry = expiry
        if let bytes = s.retainedSignals {
            guard Hashing.sha256Hex(bytes) == payload.executionFingerprint, let json = try? JSONParser(maxBytes: Int.max).parse(bytes) else {
                throw mismatch("its retained signals do not match its fingerprint")
            }
            signals = json
            if let loaded = try? policies.lookup(payload.policy.policyID, version: payload.policy.version),
               let (_, e) = try? loaded.compiled.explain(json) {
                explanation = e
            }
        }
    }

    /// The JSON of `GET /v1/executions/{id}`.
    public var json: JSONValue {
        let p = attestationPayload
        return [
            "execution_id": .string(lifecycle.executionID), "execution_state": .string(lifecycle.state.rawValue),
            "execution_fingerprint": .string(lifecycle.fingerprint), "attestation": attestation.json,
            "attestation_hash": .string(lifecycle.attestationHash), "seq": .number(Double(lifecycle.seq)),
            "policy": p.policy.json, "decision": p.decision.json, "issued_at": .string(p.issuedAt.description),
            "quorum": lifecycle.quorumJSON,
            "overrides": .array(overrides.map { $0.envelope.json }),
            "override_seqs": .array(overrides.map { .number(Double($0.seq)) }),
            "expiry": expiry.map { $0.envelope.json } ?? .null,
            "signals": signals ?? .null,
            "explanation": explanation?.json ?? .null,
        ]
    }
}
