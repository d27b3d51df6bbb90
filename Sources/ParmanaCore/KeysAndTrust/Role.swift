/// What a key may sign (SPEC §10).
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case attestation, approver, policy, checkpoint

    /// The role a key needs to sign a payload of `type`.
    public static func required(forPayloadType type: String) -> Role? {
        switch type {
        case PayloadType.attestation, PayloadType.attestationV2, PayloadType.expiry, PayloadType.runtimeManifest, PayloadType.runtimeStart:
            .attestation
        case PayloadType.override: .approver
        case PayloadType.policy: .policy
        case PayloadType.checkpoint: .checkpoint
        default: nil
        }
    }
}

/// The payload type tags (SPEC §2.3, §19).
public enum PayloadType {
    public static let attestation = "parmana.attestation/v1"
    /// v1 plus the decision's optional `override` requirement (SPEC §19.1).
    public static let attestationV2 = "parmana.attestation/v2"
    /// The runtime's signed statement that a quorum was not met in time (SPEC §19.2).
    public static let expiry = "parmana.expiry/v1"
    public static let override = "parmana.override/v1"
    public static let policy = "parmana.policy/v1"
    public static let runtimeManifest = "parmana.runtime-manifest/v1"
    public static let checkpoint = "parmana.checkpoint/v1"
    /// A node's signed start-up statement carrying its manifest (docs/formats.md).
    public static let runtimeStart = "parmana.runtime-start/v1"
    public static let trustStore = "parmana.trust-store/v1"
    public static let privateKey = "parmana.private-key/v1"
    public static let all = [attestation, attestationV2, override, policy, runtimeManifest, checkpoint, expiry, runtimeStart]
    static let attestationList = [attestation, attestationV2]
}
