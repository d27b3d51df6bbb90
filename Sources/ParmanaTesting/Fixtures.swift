import ParmanaCore

/// Paths of the repository's language-neutral vectors, found from this file's location.
public enum RepoPaths {
    /// The repository root.
    public static var root: String {
        let path = #filePath  // …/Sources/ParmanaTesting/Fixtures.swift
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    /// A file under `Vectors/`.
    public static func vector(_ relative: String) -> String { root + "/Vectors/" + relative }
}

/// A ready trust store with one key of each role, and helpers that sign v1 artifacts.
public struct Fixture: Sendable {
    public let attestationKey: SigningKey
    public let approverKey: SigningKey
    public let policyKey: SigningKey
    public let checkpointKey: SigningKey
    public var trust: TrustStore
    public let manifest: Envelope

    /// Start of every key's window in the fixture.
    public static let epoch = Timestamp("2026-01-01T00:00:00.000Z")!
    public static let noon = Timestamp("2026-11-23T12:00:00.123Z")!

    public init() {
        attestationKey = SigningKey(roles: [.attestation])
        approverKey = SigningKey(roles: [.approver], approverID: "alice@example.com")
        policyKey = SigningKey(roles: [.policy])
        checkpointKey = SigningKey(roles: [.checkpoint])
        var t = TrustStore()
        try! t.add(TrustedKey(publicKey: attestationKey.publicKey, roles: [.attestation], validFrom: Fixture.epoch, label: "node-a"))
        try! t.add(TrustedKey(publicKey: approverKey.publicKey, roles: [.approver], validFrom: Fixture.epoch, approverID: "alice@example.com"))
        try! t.add(TrustedKey(publicKey: policyKey.publicKey, roles: [.policy], validFrom: Fixture.epoch))
        try! t.add(TrustedKey(publicKey: checkpointKey.publicKey, roles: [.checkpoint], validFrom: Fixture.epoch))
        let m = RuntimeManifest(version: "0.1.0", executableSHA256: String(repeating: "ab", count: 32), keyID: attestationKey.keyID)
        manifest = Envelope.sign(m.json, with: attestationKey)
        try! t.register(manifest: manifest)
        trust = t
    }

    public var runtimeHash: String { RuntimeManifest.identityHash(of: manifest.payload) }

    public static let signals: JSONValue = [
        "payment_id": "pay_0001", "amount": 1250.5, "currency": "EUR", "kyc_verified": true, "risk_score": 12,
    ]

    /// An attestation payload for `signals` (defaults to a completed approval).
    public func attestationPayload(
        signals: JSONValue = Fixture.signals, requiresOverride: Bool = false, action: Action = .approve,
        issuedAt: Timestamp = Fixture.noon, executionID: String = "88a9db95-5f31-4f0d-84de-28a3ec9e3c83",
        key: SigningKey? = nil
    ) -> AttestationPayload {
        AttestationPayload(
            executionID: executionID, executionFingerprint: Hashing.fingerprint(signals),
            policy: PolicyReference(policyID: "payments.release", version: "1.2.0", hash: String(repeating: "cd", count: 32)),
            decision: Decision(action: action, requiresOverride: requiresOverride,
                               reason: requiresOverride ? "manual_review" : "within_limits",
                               ruleID: requiresOverride ? "large-or-risky" : "standard"),
            executionState: requiresOverride ? .pendingOverride : .completed,
            runtimeHash: runtimeHash, issuedAt: issuedAt, keyID: (key ?? attestationKey).keyID)
    }

    /// A signed attestation envelope.
    public func attestation(_ payload: AttestationPayload? = nil, key: SigningKey? = nil) -> Envelope {
        Envelope.sign((payload ?? attestationPayload()).json, with: key ?? attestationKey)
    }

    /// A signed override of `attestation`.
    public func override(of attestation: Envelope, resolution: Action = .approve, key: SigningKey? = nil,
                         approverID: String = "alice@example.com",
                         resolvedAt: Timestamp = Timestamp("2026-11-23T12:05:00.000Z")!) -> Envelope {
        let k = key ?? approverKey
        let p = OverridePayload(
            executionID: attestation.payload["execution_id"]?.stringValue ?? "", attestationHash: attestation.hash,
            resolution: resolution, reason: "verified by phone with the customer", approverID: approverID,
            resolvedAt: resolvedAt, keyID: k.keyID)
        return Envelope.sign(p.json, with: k)
    }
}

extension Envelope {
    /// Canonical bytes of the envelope, as a verifier would receive them.
    public var bytes: [UInt8] { CanonicalJSON.bytes(json) }
}
