// A deterministic scenario on the harness keys, built once per process: decisions on
// the example policies (completed, pending, dual control), approvals by alice and bob,
// a checkpoint, inclusion proofs. Its artifacts seed the verify, proof and HTTP
// targets, and its log is the ground truth of the proof target's soundness check.
import ParmanaCore
import ParmanaRuntime

public struct World: Sendable {
    public struct Case: Sendable {
        public var name: String
        public var attestation: Envelope
        public var signals: [UInt8]
        public var policy: [UInt8]
        public var overrides: [Envelope]
        public var proof: InclusionProof?
    }

    public var cases: [Case]
    /// Entry hashes of the log, by leaf index.
    public var entryHashes: [String]
    /// Every checkpoint the world signed: size → root hash.
    public var checkpoints: [Int: String]
    /// SHA-256 of JCS(payload) of every envelope the harness signed here.
    public var signedPayloads: Set<String>

    public static let shared: World = Fuzz.blocking { await World.build() }

    static func signals(_ policy: String, _ index: Int) -> JSONValue {
        Harness.examples.first { $0.name == policy }!.cases[index]
    }

    static func override(_ a: Envelope, by key: SigningKey, _ resolution: Action = .approve, seconds: Int64 = 10) -> Envelope {
        var at = Harness.noon
        at.millisecondsSinceEpoch += seconds * 1000
        let p = OverridePayload(executionID: a.payload["execution_id"]!.stringValue!, attestationHash: a.hash,
                                resolution: resolution, reason: "checked by phone", approverID: key.approverID!,
                                resolvedAt: at, keyID: key.keyID)
        return Envelope.sign(p.json, with: key)
    }

    static func build() async -> World {
        let rt = await Harness.runtime()
        func policyBytes(_ id: String) -> [UInt8] {
            CanonicalJSON.bytes(Harness.policies.first { $0.policy.policyID == id }!.envelope!.json)
        }
        var made: [(String, DecisionResult, JSONValue, String, [Envelope])] = []
        let plan: [(String, String, Int, [SigningKey])] = [
            ("completed", "payments.release", 0, []),
            ("rejected", "payments.release", 5, []),
            ("pending", "payments.release", 2, []),
            ("approved", "payments.release", 3, [Harness.alice]),
            ("dual-one", "payments.dual-control", 2, [Harness.alice]),
            ("dual-two", "payments.dual-control", 3, [Harness.alice, Harness.bob]),
            ("claims", "claims.triage", 0, []),
            ("clinical", "clinical.escalation", 0, []),
        ]
        for (name, policy, index, approvers) in plan {
            let s = signals(policy, index)
            let r = try! await rt.decide(policyID: policy, signals: s)
            var overrides: [Envelope] = []
            for (k, key) in approvers.enumerated() {
                let o = override(r.attestation, by: key, seconds: Int64(10 * (k + 1)))
                _ = try! await rt.override(o.json)
                overrides.append(o)
            }
            made.append((name, r, s, policy, overrides))
        }
        let cp = try! await rt.checkpoint()
        let size = Int(cp.payload["size"]!.numberValue!)
        let (_, records) = try! await rt.entries(from: 1, limit: 1000)
        var cases: [Case] = []
        var signed = Set<String>()
        signed.insert(Hashing.canonicalHash(cp.payload))
        signed.insert(Hashing.canonicalHash(Harness.manifest.payload))
        for p in Harness.policies { signed.insert(Hashing.canonicalHash(p.envelope!.payload)) }
        for (name, r, s, policy, overrides) in made {
            let proof = try! await rt.inclusionProof(seq: r.seq)
            cases.append(Case(name: name, attestation: r.attestation, signals: CanonicalJSON.bytes(s), policy: policyBytes(policy),
                              overrides: overrides, proof: proof))
            signed.insert(Hashing.canonicalHash(r.attestation.payload))
            for o in overrides { signed.insert(Hashing.canonicalHash(o.payload)) }
        }
        return World(cases: cases, entryHashes: records.map(\.entry.entryHash),
                      checkpoints: [size: cp.payload["root_hash"]!.stringValue!], signedPayloads: signed)
    }
}
