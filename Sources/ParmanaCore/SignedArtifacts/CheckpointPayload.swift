/// `parmana.checkpoint/v1` (SPEC §11): a signed statement of the audit log's head.
public struct CheckpointPayload: Sendable, Hashable {
    public var logID: String
    public var size: Int
    public var rootHash: String
    public var lastEntryHash: String
    public var issuedAt: Timestamp
    public var keyID: String

    public init(logID: String, size: Int, rootHash: String, lastEntryHash: String, issuedAt: Timestamp, keyID: String) {
        self.logID = logID
        self.size = size
        self.rootHash = rootHash
        self.lastEntryHash = lastEntryHash
        self.issuedAt = issuedAt
        self.keyID = keyID
    }

    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: "/payload")
        _ = try r.oneOf("type", [PayloadType.checkpoint])
        logID = try r.string("log_id", "a non-empty log id") { !$0.isEmpty }
        size = try r.integer("size")
        rootHash = try r.hash("root_hash")
        lastEntryHash = try r.hash("last_entry_hash")
        issuedAt = try r.timestamp("issued_at")
        keyID = try r.keyID()
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(PayloadType.checkpoint), "log_id": .string(logID), "size": .number(Double(size)),
            "root_hash": .string(rootHash), "last_entry_hash": .string(lastEntryHash),
            "issued_at": .string(issuedAt.description), "key_id": .string(keyID),
        ]
    }
}
