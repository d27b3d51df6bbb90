/// The kinds of governance event in the audit log (SPEC §11).
public enum AuditKind: String, Sendable, Hashable, CaseIterable {
    case execution, override
    case policyLoaded = "policy_loaded"
    case runtimeStarted = "runtime_started"
    /// The runtime's signed `parmana.expiry/v1` (SPEC §19.2).
    case overrideExpired = "override_expired"

    /// Whether the entry belongs to an execution (and names it).
    public var isExecutionEvent: Bool { self == .execution || self == .override || self == .overrideExpired }
}

/// One audit log entry (SPEC §11). Its `record` (an envelope) is stored next to it.
public struct AuditEntry: Sendable, Hashable {
    public var seq: Int
    public var kind: AuditKind
    public var executionID: String?
    public var executionFingerprint: String?
    public var recordHash: String
    public var prevHash: String
    public var recordedAt: Timestamp

    /// `prev_hash` of the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    public init(seq: Int, kind: AuditKind, executionID: String?, executionFingerprint: String?,
                recordHash: String, prevHash: String, recordedAt: Timestamp) {
        self.seq = seq
        self.kind = kind
        self.executionID = executionID
        self.executionFingerprint = executionFingerprint
        self.recordHash = recordHash
        self.prevHash = prevHash
        self.recordedAt = recordedAt
    }

    /// The entry that follows `previous` (or starts the log) for `record`.
    public static func next(after previous: (seq: Int, entryHash: String)?, kind: AuditKind, executionID: String?,
                            executionFingerprint: String?, record: JSONValue, at time: Timestamp) -> AuditEntry {
        next(after: previous, kind: kind, executionID: executionID, executionFingerprint: executionFingerprint,
             recordHash: Hashing.canonicalHash(record), at: time)
    }

    /// Same, with the record's hash already computed.
    public static func next(after previous: (seq: Int, entryHash: String)?, kind: AuditKind, executionID: String?,
                            executionFingerprint: String?, recordHash: String, at time: Timestamp) -> AuditEntry {
        AuditEntry(seq: (previous?.seq ?? 0) + 1, kind: kind, executionID: executionID,
                   executionFingerprint: executionFingerprint, recordHash: recordHash,
                   prevHash: previous?.entryHash ?? genesisHash, recordedAt: time)
    }

    public var json: JSONValue {
        [
            "seq": .number(Double(seq)), "kind": .string(kind.rawValue),
            "execution_id": executionID.map(JSONValue.string) ?? .null,
            "execution_fingerprint": executionFingerprint.map(JSONValue.string) ?? .null,
            "record_hash": .string(recordHash), "prev_hash": .string(prevHash),
            "recorded_at": .string(recordedAt.description),
        ]
    }

    /// `entry_hash = hex(sha256(JCS(entry)))`.
    public var entryHash: String { Hashing.sha256Hex(canonicalBytes) }

    /// JCS(entry), written directly in canonical member order (equal to
    /// `CanonicalJSON.bytes(json)`, which a test holds it to).
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        out.append(contentsOf: #"{"execution_fingerprint":"#.utf8)
        if let executionFingerprint { CanonicalJSON.writeString(executionFingerprint, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","execution_id":"#.utf8)
        if let executionID { CanonicalJSON.writeString(executionID, to: &out) } else { out.append(contentsOf: "null".utf8) }
        CanonicalJSON.member("kind", kind.rawValue, to: &out)
        CanonicalJSON.member("prev_hash", prevHash, to: &out)
        CanonicalJSON.member("record_hash", recordHash, to: &out)
        CanonicalJSON.member("recorded_at", recordedAt.description, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        ECMAScriptNumber.append(Double(seq), to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Strictly decodes an entry.
    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, code: .auditChainBroken)
        seq = try r.integer("seq")
        guard let k = AuditKind(rawValue: try r.string("kind")) else { throw r.error("kind", "unknown kind") }
        kind = k
        _ = try r.required("execution_id")
        executionID = try r.optionalString("execution_id")
        _ = try r.required("execution_fingerprint")
        executionFingerprint = try r.optionalString("execution_fingerprint")
        recordHash = try r.hash("record_hash")
        prevHash = try r.hash("prev_hash")
        recordedAt = try r.timestamp("recorded_at")
        try r.finish()
    }
}

/// An entry with its record, as stored: the record's JCS bytes, and the entry hash when
/// the store keeps one (it is what the Merkle tree commits to; verification recomputes it).
public struct AuditRecord: Sendable {
    public var entry: AuditEntry
    /// JCS(record): the attestation, override, expiry, policy or manifest envelope.
    public var recordBytes: [UInt8]
    /// `entry_hash` as stored (32 bytes), or nil.
    public var storedEntryHash: [UInt8]?

    public init(entry: AuditEntry, recordBytes: [UInt8], storedEntryHash: [UInt8]? = nil) {
        self.entry = entry
        self.recordBytes = recordBytes
        self.storedEntryHash = storedEntryHash
    }

    public init(entry: AuditEntry, record: JSONValue) {
        self.init(entry: entry, recordBytes: CanonicalJSON.bytes(record))
    }

    /// The record, parsed (null if the stored bytes are not JSON).
    public var record: JSONValue {
        (try? JSONParser(maxBytes: Int.max).parse(recordBytes)) ?? .null
    }

    /// `{"entry", "entry_hash", "record"}`, as `GET /v1/audit/entries` serves it.
    public var json: JSONValue {
        ["entry": entry.json, "entry_hash": .string(storedEntryHash.map(Hex.encode) ?? entry.entryHash), "record": record]
    }
}
