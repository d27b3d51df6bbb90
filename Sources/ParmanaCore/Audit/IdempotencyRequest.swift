/// The identity of a decision request for idempotent retries (SPEC §18): the same
/// `Idempotency-Key` must come with the same policy id, the same pinned version (or
/// none), the same fingerprint and the same choice of explanation.
public enum IdempotencyRequest {
    /// `hex(sha256(JCS({policy_id, version, execution_fingerprint, explain})))`.
    public static func hash(policyID: String, version: String?, fingerprint: String, explain: Bool) -> String {
        Hashing.canonicalHash([
            "policy_id": .string(policyID), "version": version.map { .string($0) } ?? .null,
            "execution_fingerprint": .string(fingerprint), "explain": .bool(explain),
        ])
    }

    /// Whether `hash` can be the request hash of a request that produced this execution
    /// (any of: version pinned or not, explanation asked or not).
    public static func matches(_ hash: String, policyID: String, version: String, fingerprint: String) -> Bool {
        for v in [nil, version] as [String?] {
            for e in [false, true] where Self.hash(policyID: policyID, version: v, fingerprint: fingerprint, explain: e) == hash {
                return true
            }
        }
        return false
    }
}
