import Foundation
import GRDB
import ParmanaCore
import ParmanaRuntime

/// Reads rows back into Core values. `prev_hash` is the previous row's stored entry
/// hash and `record_hash` the SHA-256 of the stored record: nothing is stored twice.
enum SQLiteRows {
    static func size(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT seq FROM entries ORDER BY seq DESC LIMIT 1") ?? 0
    }

    static func entries(_ db: Database, from seq: Int, limit: Int) throws -> [AuditRecord] {
        guard limit > 0 else { return [] }
        let start = max(1, seq)
        var prev = start == 1 ? [UInt8](repeating: 0, count: 32)
            : (try SQLiteBytes.one(db, "SELECT entry_hash FROM entries WHERE seq < ? ORDER BY seq DESC LIMIT 1", [start])
                ?? [UInt8](repeating: 0, count: 32))
        var out: [AuditRecord] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [start, limit])
        while let row = try rows.next() {
            let r = try record(row, prevHash: prev)
            prev = r.storedEntryHash ?? []
            out.append(r)
        }
        return out
    }

    static func record(_ row: Row, prevHash: [UInt8]) throws -> AuditRecord {
        guard let kind = SQLiteSchema.kind(row["kind"]) else { throw StoreError.corrupt("entry \(row["seq"] as Int) has an unknown kind") }
        let id = SQLiteBytes.optional(row, "execution_id"), fp = SQLiteBytes.optional(row, "fingerprint")
        let record = SQLiteBytes.column(row, "record")
        let ms: Int64 = row["recorded_at"]
        var executionID = id.map(SQLiteSchema.uuidString), fingerprint = fp.map(Hex.encode)
        if kind == .execution, id == nil, fp == nil {
            (executionID, fingerprint) = attestationFields(record)
        }
        let entry = AuditEntry(seq: row["seq"], kind: kind, executionID: executionID,
                               executionFingerprint: fingerprint, recordHash: Hashing.sha256Hex(record),
                               prevHash: Hex.encode(prevHash), recordedAt: Timestamp(millisecondsSinceEpoch: ms))
        return AuditRecord(entry: entry, recordBytes: record, storedEntryHash: SQLiteBytes.optional(row, "entry_hash"))
    }

    /// `execution_id` and `execution_fingerprint` of an attestation record (its JCS
    /// bytes), where an execution entry keeps them. In JCS the payload's members come in a
    /// fixed order, and nothing before them can contain these keys (the decision holds
    /// only fixed-syntax strings), so the first occurrence is the member.
    static func attestationFields(_ record: [UInt8]) -> (executionID: String?, fingerprint: String?) {
        func value(after key: String, length: Int) -> String? {
            let k = Array(key.utf8)
            guard record.count >= k.count + length else { return nil }
            var i = 0
            while i + k.count + length <= record.count {
                if record[i] == k[0], Array(record[i..<(i + k.count)]) == k {
                    let v = record[(i + k.count)..<(i + k.count + length)]
                    return String(decoding: v, as: UTF8.self)
                }
                i += 1
            }
            return nil
        }
        return (value(after: #""execution_id":""#, length: 36), value(after: #""execution_fingerprint":""#, length: 64))
    }

    /// Stored tree hashes in two queries (leaves from `entries`, interior nodes from
    /// `tree`): a proof or a chain resume reads O(log n) rows in two statements.
    static func treeHashes(_ db: Database, _ ids: [MerkleNodeID]) throws -> [MerkleNodeID: [UInt8]] {
        var out: [MerkleNodeID: [UInt8]] = [:]
        let leaves = ids.filter { $0.level == 0 }, interior = ids.filter { $0.level > 0 }
        func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ",") }
        if !leaves.isEmpty {
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT seq, entry_hash FROM entries WHERE seq IN (\(marks(leaves.count)))"),
                                           arguments: StatementArguments(leaves.map { $0.index + 1 }))
            while let r = try rows.next() { out[MerkleNodeID(level: 0, index: (r["seq"] as Int) - 1)] = SQLiteBytes.column(r, "entry_hash") }
        }
        if !interior.isEmpty {
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT node, hash FROM tree WHERE node IN (\(marks(interior.count)))"),
                                           arguments: StatementArguments(interior.map(\.key)))
            while let r = try rows.next() { out[MerkleNodeID(key: r["node"])] = SQLiteBytes.column(r, "hash") }
        }
        return out
    }

    static func envelope(_ bytes: [UInt8]) throws -> Envelope {
        try Envelope(json: try JSONParser(maxBytes: Int.max).parse(bytes))
    }

    /// One entry by seq.
    static func entry(_ db: Database, _ seq: Int) throws -> AuditRecord? {
        try entries(db, from: seq, limit: 1).first
    }

    static func execution(_ db: Database, _ id: String) throws -> StoredExecution? {
        guard let key = SQLiteSchema.uuidBytes(id),
              let row = try Row.fetchOne(db, sql: "SELECT seq, state FROM executions WHERE execution_id = ?", arguments: [key]) else {
            return nil
        }
        let seq: Int = row["seq"]
        guard let state = SQLiteSchema.state(row["state"]) else { throw StoreError.corrupt("execution \(id) has an unknown state") }
        guard let attestation = try entry(db, seq) else { throw StoreError.corrupt("execution \(id) points at a missing entry \(seq)") }
        let seqs = try Int.fetchAll(db, sql: "SELECT seq FROM resolutions WHERE execution_id = ? ORDER BY seq", arguments: [key])
        var resolutions: [AuditRecord] = []
        for s in seqs {
            guard let r = try entry(db, s) else { throw StoreError.corrupt("execution \(id) points at a missing resolution \(s)") }
            resolutions.append(r)
        }
        let signals = try SQLiteBytes.one(db, "SELECT signals FROM signals WHERE execution_id = ?", [key])
        return StoredExecution(executionID: id, seq: seq, state: state, attestation: attestation, resolutions: resolutions,
                               retainedSignals: signals)
    }

    static func projection(_ db: Database) throws -> [ProjectionRow] {
        var rows: [ProjectionRow] = []
        let replay = try Row.fetchCursor(db, sql: "SELECT fingerprint, seq FROM replay")
        while let r = try replay.next() {
            let fp = SQLiteBytes.column(r, "fingerprint")
            rows.append(.replay(fingerprint: Hex.encode(fp), seq: r["seq"]))
        }
        var resolutions: [String: [Int]] = [:]
        let res = try Row.fetchCursor(db, sql: "SELECT execution_id, seq FROM resolutions ORDER BY seq")
        while let r = try res.next() {
            let id = SQLiteBytes.column(r, "execution_id")
            resolutions[SQLiteSchema.uuidString(id), default: []].append(r["seq"])
        }
        let execs = try Row.fetchCursor(db, sql: "SELECT execution_id, seq, state FROM executions")
        while let r = try execs.next() {
            let idBytes = SQLiteBytes.column(r, "execution_id")
            let id = SQLiteSchema.uuidString(idBytes)
            guard let state = SQLiteSchema.state(r["state"]) else { throw StoreError.corrupt("execution \(id) has an unknown state") }
            rows.append(.execution(id: id, seq: r["seq"], state: state, resolutionSeqs: resolutions.removeValue(forKey: id) ?? []))
        }
        // Resolutions of executions that do not exist.
        for (id, seqs) in resolutions { rows.append(.execution(id: id, seq: seqs.first ?? 0, state: .pendingOverride, resolutionSeqs: seqs)) }
        let pending = try Row.fetchCursor(db, sql: "SELECT seq, execution_id, policy_id, expires_at FROM pending")
        while let r = try pending.next() {
            let id = SQLiteBytes.column(r, "execution_id")
            let expires: Int64? = r["expires_at"]
            rows.append(.pending(id: SQLiteSchema.uuidString(id), seq: r["seq"], policyID: r["policy_id"],
                                 expiresAt: expires.map { Timestamp(millisecondsSinceEpoch: $0) }))
        }
        let signals = try Row.fetchCursor(db, sql: "SELECT execution_id, signals FROM signals")
        while let r = try signals.next() {
            let id = SQLiteBytes.column(r, "execution_id")
            rows.append(.retainedSignals(id: SQLiteSchema.uuidString(id), signals: SQLiteBytes.column(r, "signals")))
        }
        let keys = try Row.fetchCursor(db, sql: "SELECT key, execution_id, request_hash FROM idempotency")
        while let r = try keys.next() {
            let id = SQLiteBytes.column(r, "execution_id")
            rows.append(.idempotency(key: r["key"], executionID: SQLiteSchema.uuidString(id), requestHash: Hex.encode(SQLiteBytes.column(r, "request_hash"))))
        }
        return rows
    }
}
