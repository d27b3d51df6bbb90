/// The lifecycle state of an execution (SPEC §7.4).
public enum ExecutionState: String, Sendable, Hashable, Codable, CaseIterable {
    case completed
    case pendingOverride = "pending_override"
    case overrideApproved = "override_approved"
    case overrideRejected = "override_rejected"
    /// The quorum was not met before `expires_at` (SPEC §19.2); final.
    case overrideExpired = "override_expired"

    /// Whether no further override can change the state.
    public var isFinal: Bool { self != .pendingOverride }

    /// The states an attestation itself may carry.
    static let attestable = ["completed", "pending_override"]
}

/// The policy an attestation was decided under.
public struct PolicyReference: Sendable, Hashable {
    public var policyID: String
    public var version: String
    public var hash: String

    public init(policyID: String, version: String, hash: String) {
        self.policyID = policyID
        self.version = version
        self.hash = hash
    }

    public var json: JSONValue {
        ["policy_id": .string(policyID), "version": .string(version), "hash": .string(hash)]
    }
}

/// `parmana.attestation/v1` (SPEC §6), and `/v2` when the decision carries an
/// override requirement (SPEC §19.1).
public struct AttestationPayload: Sendable, Hashable {
    public var executionID: String
    public var executionFingerprint: String
    public var policy: PolicyReference
    public var decision: Decision
    /// `completed` or `pending_override`; an attestation never carries a later state.
    public var executionState: ExecutionState
    public var runtimeHash: String
    public var issuedAt: Timestamp
    public var keyID: String

    public init(executionID: String, executionFingerprint: String, policy: PolicyReference, decision: Decision,
                executionState: ExecutionState, runtimeHash: String, issuedAt: Timestamp, keyID: String) {
        self.executionID = executionID
        self.executionFingerprint = executionFingerprint
        self.policy = policy
        self.decision = decision
        self.executionState = executionState
        self.runtimeHash = runtimeHash
        self.issuedAt = issuedAt
        self.keyID = keyID
    }

    /// Strictly decodes a payload object; throws `malformed_payload`.
    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: "/payload")
        let type = try r.oneOf("type", PayloadType.attestationList)
        executionID = try r.string("execution_id", "a lowercase UUID v4", where: Syntax.isUUIDv4)
        executionFingerprint = try r.hash("execution_fingerprint")
        var p = try r.object("policy")
        policy = PolicyReference(
            policyID: try p.string("policy_id", "a policy id", where: Syntax.isPolicyID),
            version: try p.string("version", "a semantic version", where: { SemanticVersion($0) != nil }),
            hash: try p.hash("hash"))
        try p.finish()
        var d = try r.object("decision")
        decision = try Decision(reading: &d, v2: type == PayloadType.attestationV2)
        executionState = ExecutionState(rawValue: try r.oneOf("execution_state", ExecutionState.attestable))!
        runtimeHash = try r.hash("runtime_hash")
        issuedAt = try r.timestamp("issued_at")
        keyID = try r.keyID()
        try r.finish()
        guard (executionState == .pendingOverride) == decision.requiresOverride else {
            throw r.error("execution_state", "must be pending_override exactly when requires_override is true")
        }
    }

    /// v2 exactly when the decision carries an override requirement.
    public var type: String { decision.override == nil ? PayloadType.attestation : PayloadType.attestationV2 }

    public var json: JSONValue {
        [
            "type": .string(type),
            "execution_id": .string(executionID),
            "execution_fingerprint": .string(executionFingerprint),
            "policy": policy.json,
            "decision": decision.json,
            "execution_state": .string(executionState.rawValue),
            "runtime_hash": .string(runtimeHash),
            "issued_at": .string(issuedAt.description),
            "key_id": .string(keyID),
        ]
    }

    /// JCS(payload), written directly in canonical member order (equal to
    /// `CanonicalJSON.bytes(json)`, which a test holds it to) without building a tree.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(560)
        out.append(contentsOf: #"{"decision":"#.utf8)
        decision.writeCanonical(to: &out)
        CanonicalJSON.member("execution_fingerprint", executionFingerprint, to: &out)
        CanonicalJSON.member("execution_id", executionID, to: &out)
        CanonicalJSON.member("execution_state", executionState.rawValue, to: &out)
        CanonicalJSON.member("issued_at", issuedAt.description, to: &out)
        CanonicalJSON.member("key_id", keyID, to: &out)
        out.append(contentsOf: #","policy":{"hash":"#.utf8)
        CanonicalJSON.writeString(policy.hash, to: &out)
        CanonicalJSON.member("policy_id", policy.policyID, to: &out)
        CanonicalJSON.member("version", policy.version, to: &out)
        out.append(UInt8(ascii: "}"))
        CanonicalJSON.member("runtime_hash", runtimeHash, to: &out)
        CanonicalJSON.member("type", type, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
