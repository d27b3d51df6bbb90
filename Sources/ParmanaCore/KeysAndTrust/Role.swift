/// What a key may sign (SPEC §10).
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case attestation, approver, policy, checkpoint

    /// The role a key needs to sign a payload of `type`.
    public static func required(forPayloadType type: String) -> Role? {
        switch type {
        case PayloadType.attestation, PayloadType.runtimeManifest: .attestation
        case PayloadType.override: .approver
        case PayloadType.policy: .policy
        case PayloadType.checkpoint: .checkpoint
        default: nil
        }
    }
}

/// The v1 payload type tags (SPEC §2.3).
public enum PayloadType {
    public static let attestation = "parmana.attestation/v1"
    public static let override = "parmana.override/v1"
    public static let policy = "parmana.policy/v1"
    public static let runtimeManifest = "parmana.runtime-manifest/v1"
    public static let checkpoint = "parmana.checkpoint/v1"
    public static let trustStore = "parmana.trust-store/v1"
    public static let privateKey = "parmana.private-key/v1"
    public static let all = [attestation, override, policy, runtimeManifest, checkpoint]
    static let attestationList = [attestation]
}
