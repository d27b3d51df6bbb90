/// `parmana.override/v1` (SPEC §8): a human approver's signed resolution.
public struct OverridePayload: Sendable, Hashable {
    public var executionID: String
    public var attestationHash: String
    public var resolution: Action
    public var reason: String
    public var approverID: String
    public var resolvedAt: Timestamp
    public var keyID: String

    public init(executionID: String, attestationHash: String, resolution: Action, reason: String,
                approverID: String, resolvedAt: Timestamp, keyID: String) {
        self.executionID = executionID
        self.attestationHash = attestationHash
        self.resolution = resolution
        self.reason = reason
        self.approverID = approverID
        self.resolvedAt = resolvedAt
        self.keyID = keyID
    }

    /// Strictly decodes an override envelope and its payload (`malformed_payload`).
    public static func envelope(_ json: JSONValue) throws(ParmanaError) -> (envelope: Envelope, payload: OverridePayload) {
        let env = try Envelope(json: json)
        guard env.type == PayloadType.override else {
            throw ParmanaError(.malformedPayload, "/payload/type: expected \(PayloadType.override), found \(env.type)")
        }
        return (env, try OverridePayload(json: env.payload))
    }

    /// The approver's authority (SPEC §8): a key with the approver role and the same
    /// `approver_id`, valid at `resolved_at`, whose signature verifies. Nil when it holds.
    public func authorityError(_ envelope: Envelope, trust: TrustStore) -> ParmanaError? {
        if let e = trust.trustError(keyID: keyID, type: PayloadType.override, at: resolvedAt, approverID: approverID) { return e }
        guard trust.signatureVerifies(envelope) else {
            return ParmanaError(.invalidSignature, "the override signature does not verify")
        }
        return nil
    }

    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: "/payload")
        _ = try r.oneOf("type", [PayloadType.override])
        executionID = try r.string("execution_id", "a lowercase UUID v4", where: Syntax.isUUIDv4)
        attestationHash = try r.hash("attestation_hash")
        resolution = Action(rawValue: try r.oneOf("resolution", Action.names))!
        reason = try r.string("reason", "a non-empty reason") { !$0.isEmpty }
        approverID = try r.string("approver_id", "a non-empty approver id") { !$0.isEmpty }
        resolvedAt = try r.timestamp("resolved_at")
        keyID = try r.keyID()
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(PayloadType.override),
            "execution_id": .string(executionID),
            "attestation_hash": .string(attestationHash),
            "resolution": .string(resolution.rawValue),
            "reason": .string(reason),
            "approver_id": .string(approverID),
            "resolved_at": .string(resolvedAt.description),
            "key_id": .string(keyID),
        ]
    }
}
