/// `parmana.expiry/v1` (SPEC §19.2): the runtime's signed statement that an execution's
/// override quorum was not met before its `expires_at`. Signed by an `attestation` key;
/// it makes the execution `override_expired`, final.
///
/// ```json
/// {"type": "parmana.expiry/v1", "execution_id": "…", "attestation_hash": "<64 hex>",
///  "expired_at": "2026-11-23T12:05:00.000Z", "key_id": "<32 hex>"}
/// ```
public struct ExpiryPayload: Sendable, Hashable {
    public var executionID: String
    public var attestationHash: String
    public var expiredAt: Timestamp
    public var keyID: String

    public init(executionID: String, attestationHash: String, expiredAt: Timestamp, keyID: String) {
        self.executionID = executionID
        self.attestationHash = attestationHash
        self.expiredAt = expiredAt
        self.keyID = keyID
    }

    /// Strictly decodes a payload (`malformed_payload`).
    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: "/payload")
        _ = try r.oneOf("type", [PayloadType.expiry])
        executionID = try r.string("execution_id", "a lowercase UUID v4", where: Syntax.isUUIDv4)
        attestationHash = try r.hash("attestation_hash")
        expiredAt = try r.timestamp("expired_at")
        keyID = try r.keyID()
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(PayloadType.expiry), "execution_id": .string(executionID),
            "attestation_hash": .string(attestationHash), "expired_at": .string(expiredAt.description),
            "key_id": .string(keyID),
        ]
    }
}
