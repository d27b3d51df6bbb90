import Foundation
import Logging
import NIOCore
import ParmanaCore
import ParmanaRuntime
import PostgresNIO

/// Reads rows back into Core values. `prev_hash` is the previous row's stored entry hash
/// and `record_hash` the SHA-256 of the stored record: nothing is stored twice (as in the
/// SQLite adapter).
enum PostgresRows {
    static let entryColumns = "seq, kind, execution_id, fingerprint, recorded_at, entry_hash, record"

    static func size(_ conn: PostgresConnection, logger: Logger) async throws -> Int {
        for try await n in try await conn.query("SELECT coalesce(max(seq), 0)::bigint FROM entries", logger: logger).decode(Int.self) {
            return n
        }
        return 0
    }

    typealias EntryRow = (Int, Int, UUID?, ByteBuffer?, Int64, ByteBuffer, ByteBuffer)

    static func record(_ r: EntryRow, prevHash: [UInt8]) throws -> AuditRecord {
        let (seq, kindCode, id, fp, ms, hash, recordBuffer) = r
        guard let kind = PostgresSchema.kind(kindCode) else { throw StoreError.corrupt("entry \(seq) has an unknown kind") }
        let record = PostgresCodec.bytes(recordBuffer)
        var executionID = id.map(PostgresCodec.string), fingerprint = fp.map { Hex.encode(PostgresCodec.bytes($0)) }
        if kind == .execution, id == nil, fp == nil {
            (executionID, fingerprint) = PostgresCodec.attestationFields(record)
        }
        let entry = AuditEntry(seq: seq, kind: kind, executionID: executionID, executionFingerprint: fingerprint,
                               recordHash: Hashing.sha256Hex(record), prevHash: Hex.encode(prevHash),
                               recordedAt: Timestamp(millisecondsSinceEpoch: ms))
        return AuditRecord(entry: entry, recordBytes: record, storedEntryHash: PostgresCodec.bytes(hash))
    }

    /// Entries `from...`, at most `limit`, with their `prev_hash` (one query: the row before
    /// `from` comes along for its entry hash).
    static func entries(_ conn: PostgresConnection, from seq: Int, limit: Int, logger: Logger) async throws -> [AuditRecord] {
        guard limit > 0 else { return [] }
        let start = max(1, seq)
        var b = PostgresBindings()
        b.append(start - 1)
        b.append(limit + 1)
        let rows = try await conn.query(PostgresQuery(unsafeSQL: "SELECT \(entryColumns) FROM entries WHERE seq >= $1 ORDER BY seq LIMIT $2",
                                                      binds: b), logger: logger)
        var prev = [UInt8](repeating: 0, count: 32)
        var out: [AuditRecord] = []
        for try await r in rows.decode(EntryRow.self) {
            if r.0 < start {
                prev = PostgresCodec.bytes(r.5)
                continue
            }
            guard out.count < limit else { continue }
            let rec = try record(r, prevHash: prev)
            prev = rec.storedEntryHash ?? []
            out.append(rec)
        }
        return out
    }

    /// Entries at the given seqs (any order, each with its `prev_hash`), by seq.
    static func entries(_ conn: PostgresConnection, at seqs: [Int], logger: Logger) async throws -> [Int: AuditRecord] {
        guard !seqs.isEmpty else { return [:] }
        var b = PostgresBindings()
        b.append(seqs)
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT e.seq, e.kind, e.execution_id, e.fingerprint, e.recorded_at, e.entry_hash, e.record, p.entry_hash
            FROM entries e LEFT JOIN entries p ON p.seq = e.seq - 1 WHERE e.seq = ANY($1::bigint[])
            """, binds: b), logger: logger)
        var out: [Int: AuditRecord] = [:]
        for try await r in rows.decode((Int, Int, UUID?, ByteBuffer?, Int64, ByteBuffer, ByteBuffer, ByteBuffer?).self) {
            let prev = r.7.map(PostgresCodec.bytes) ?? [UInt8](repeating: 0, count: 32)
            out[r.0] = try record((r.0, r.1, r.2, r.3, r.4, r.5, r.6), prevHash: prev)
        }
        return out
    }

    /// Stored tree hashes (entry hashes at level 0, `tree` rows above), one query.
    static func treeHashes(_ conn: PostgresConnection, _ ids: [MerkleNodeID], logger: Logger) async throws -> [MerkleNodeID: [UInt8]] {
        guard !ids.isEmpty else { return [:] }
        let leaves = ids.filter { $0.level == 0 }.map { $0.index + 1 }
        let nodes = ids.filter { $0.level > 0 }.map(\.key)
        var b = PostgresBindings()
        b.append(leaves)
        b.append(nodes)
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT 0, seq, entry_hash FROM entries WHERE seq = ANY($1::bigint[])
            UNION ALL SELECT 1, node, hash FROM tree WHERE node = ANY($2::bigint[])
            """, binds: b), logger: logger)
        var out: [MerkleNodeID: [UInt8]] = [:]
        for try await (source, key, hash) in rows.decode((Int, Int64, ByteBuffer).self) {
            let id = source == 0 ? MerkleNodeID(level: 0, index: Int(key) - 1) : MerkleNodeID(key: key)
            out[id] = PostgresCodec.bytes(hash)
        }
        return out
    }

    static func envelope(_ buffer: ByteBuffer) throws -> Envelope {
        try Envelope(json: try JSONParser(maxBytes: Int.max).parse(PostgresCodec.bytes(buffer)))
    }

    static func idempotency(_ conn: PostgresConnection, _ key: String, logger: Logger) async throws -> IdempotencyRecord? {
        for try await (hash, id) in try await conn.query("SELECT request_hash, execution_id FROM idempotency WHERE key = \(key)",
                                                         logger: logger).decode((ByteBuffer, UUID).self) {
            return IdempotencyRecord(key: key, requestHash: Hex.encode(PostgresCodec.bytes(hash)), executionID: PostgresCodec.string(id))
        }
        return nil
    }

    /// Bound idempotency keys among `keys`.
    static func idempotency(_ conn: PostgresConnection, keys: [String], logger: Logger) async throws -> [String: IdempotencyRecord] {
        var b = PostgresBindings()
        b.append(keys)
        var out: [String: IdempotencyRecord] = [:]
        for try await (key, hash, id) in try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT key, request_hash, execution_id FROM idempotency WHERE key = ANY($1::text[])
            """, binds: b), logger: logger).decode((String, ByteBuffer, UUID).self) {
            out[key] = IdempotencyRecord(key: key, requestHash: Hex.encode(PostgresCodec.bytes(hash)), executionID: PostgresCodec.string(id))
        }
        return out
    }

    /// The executions that consumed any of `fingerprints` (32-byte hashes), by fingerprint.
    static func consumers(_ conn: PostgresConnection, of fingerprints: [[UInt8]], logger: Logger) async throws -> [[UInt8]: String] {
        var b = PostgresBindings()
        b.append(fingerprints.map(PostgresCodec.buffer))
        var out: [[UInt8]: String] = [:]
        for try await (fp, record) in try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT o.fingerprint, e.record FROM replay o JOIN entries e ON e.seq = o.seq WHERE o.fingerprint = ANY($1::bytea[])
            """, binds: b), logger: logger).decode((ByteBuffer, ByteBuffer).self) {
            out[PostgresCodec.bytes(fp)] = PostgresCodec.attestationFields(PostgresCodec.bytes(record)).executionID ?? "?"
        }
        return out
    }

    /// Executions by id, in the order asked (unknown ids are left out): two queries
    /// whatever their number.
    static func executions(_ conn: PostgresConnection, _ ids: [UUID], logger: Logger) async throws -> [StoredExecution] {
        guard !ids.isEmpty else { return [] }
        var b = PostgresBindings()
        b.append(ids)
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT x.execution_id, x.seq, x.state,
                   ARRAY(SELECT r.seq FROM resolutions r WHERE r.execution_id = x.execution_id ORDER BY r.seq),
                   (SELECT s.signals FROM signals s WHERE s.execution_id = x.execution_id)
            FROM executions x WHERE x.execution_id = ANY($1::uuid[])
            """, binds: b), logger: logger)
        var found: [UUID: (seq: Int, state: Int, resolutions: [Int], signals: ByteBuffer?)] = [:]
        for try await (id, seq, state, resolutions, signals) in rows.decode((UUID, Int, Int, [Int], ByteBuffer?).self) {
            found[id] = (seq, state, resolutions, signals)
        }
        let records = try await entries(conn, at: found.values.flatMap { [$0.seq] + $0.resolutions }, logger: logger)
        return try ids.compactMap { id -> StoredExecution? in
            guard let row = found[id] else { return nil }
            let name = PostgresCodec.string(id)
            guard let state = PostgresSchema.state(row.state) else { throw StoreError.corrupt("execution \(name) has an unknown state") }
            guard let attestation = records[row.seq] else { throw StoreError.corrupt("execution \(name) points at a missing entry \(row.seq)") }
            let resolutions = try row.resolutions.map { s -> AuditRecord in
                guard let r = records[s] else { throw StoreError.corrupt("execution \(name) points at a missing resolution \(s)") }
                return r
            }
            return StoredExecution(executionID: name, seq: row.seq, state: state, attestation: attestation, resolutions: resolutions,
                                   retainedSignals: row.signals.map(PostgresCodec.bytes))
        }
    }

    static func projection(_ conn: PostgresConnection, logger: Logger) async throws -> [ProjectionRow] {
        var rows: [ProjectionRow] = []
        for try await (fp, seq) in try await conn.query("SELECT fingerprint, seq FROM replay", logger: logger).decode((ByteBuffer, Int).self) {
            rows.append(.replay(fingerprint: Hex.encode(PostgresCodec.bytes(fp)), seq: seq))
        }
        var resolutions: [String: [Int]] = [:]
        for try await (id, seq) in try await conn.query("SELECT execution_id, seq FROM resolutions ORDER BY seq", logger: logger)
            .decode((UUID, Int).self) {
            resolutions[PostgresCodec.string(id), default: []].append(seq)
        }
        for try await (uuid, seq, code) in try await conn.query("SELECT execution_id, seq, state FROM executions", logger: logger)
            .decode((UUID, Int, Int).self) {
            let id = PostgresCodec.string(uuid)
            guard let state = PostgresSchema.state(code) else { throw StoreError.corrupt("execution \(id) has an unknown state") }
            rows.append(.execution(id: id, seq: seq, state: state, resolutionSeqs: resolutions.removeValue(forKey: id) ?? []))
        }
        // Resolutions of executions that do not exist.
        for (id, seqs) in resolutions { rows.append(.execution(id: id, seq: seqs.first ?? 0, state: .pendingOverride, resolutionSeqs: seqs)) }
        for try await (seq, id, policyID, expires) in try await conn.query("SELECT seq, execution_id, policy_id, expires_at FROM pending", logger: logger)
            .decode((Int, UUID, String, Int64?).self) {
            rows.append(.pending(id: PostgresCodec.string(id), seq: seq, policyID: policyID,
                                 expiresAt: expires.map { Timestamp(millisecondsSinceEpoch: $0) }))
        }
        for try await (id, signals) in try await conn.query("SELECT execution_id, signals FROM signals", logger: logger)
            .decode((UUID, ByteBuffer).self) {
            rows.append(.retainedSignals(id: PostgresCodec.string(id), signals: PostgresCodec.bytes(signals)))
        }
        for try await (key, id, hash) in try await conn.query("SELECT key, execution_id, request_hash FROM idempotency", logger: logger)
            .decode((String, UUID, ByteBuffer).self) {
            rows.append(.idempotency(key: key, executionID: PostgresCodec.string(id), requestHash: Hex.encode(PostgresCodec.bytes(hash))))
        }
        return rows
    }
}
