/// The result of verifying an attestation and its lineage (SPEC §12).
/// A check is `nil` when it was not performed.
public struct VerificationReport: Sendable, Equatable {
    public struct Checks: Sendable, Equatable {
        public var payloadWellFormed: Bool?
        public var keyTrusted: Bool?
        public var signatureValid: Bool?
        public var runtimeVerified: Bool?
        public var fingerprintMatches: Bool?
        public var policyMatches: Bool?
        public var decisionReproduced: Bool?
        public var overrideValid: Bool?
        public var auditIncluded: Bool?

        public init() {}

        public static let names = ["payload_well_formed", "key_trusted", "signature_valid", "runtime_verified",
                            "fingerprint_matches", "policy_matches", "decision_reproduced", "override_valid", "audit_included"]

        public var values: [Bool?] {
            [payloadWellFormed, keyTrusted, signatureValid, runtimeVerified, fingerprintMatches,
             policyMatches, decisionReproduced, overrideValid, auditIncluded]
        }
    }

    /// One reason the artifact failed a check.
    public struct Problem: Sendable, Equatable {
        public var code: ErrorCode
        public var message: String
    }

    public var valid: Bool
    public var authorized: Bool
    public var checks: Checks
    public var errors: [Problem]

    public var json: JSONValue {
        let checkObj = JSONObject(zip(Checks.names, checks.values).map { ($0, $1.map(JSONValue.bool) ?? .null) })
        return [
            "valid": .bool(valid), "authorized": .bool(authorized), "checks": .object(checkObj),
            "errors": .array(errors.map { ["code": .string($0.code.rawValue), "message": .string($0.message)] }),
        ]
    }
}
