import Foundation
import Logging
import NIOCore
import ParmanaCore
import ParmanaRuntime
import PostgresNIO

/// Applies writes inside one transaction on one connection. ``lockAndResume(_:logger:)``
/// takes the log lock (`SELECT … FROM log_head WHERE id = 1 FOR UPDATE`), which every
/// appender of every node takes first, and only then reads the chain head and the
/// Merkle frontier — in statements after the lock, so that under READ COMMITTED they see
/// everything the previous holder committed. Nothing is carried over between
/// transactions.
///
/// Consecutive executions of a batch are written by one statement
/// (``executions(_:)``: data-modifying CTEs over arrays), so a batch of 64 decisions costs
/// a handful of round trips, not 64. Fingerprints are consumed by
/// `INSERT … ON CONFLICT DO NOTHING` in that statement; the outcome of each decision is
/// decided under the log lock from the stored consumers and those earlier in the batch,
/// and the insert's count confirms it (a mismatch — something consumed a fingerprint
/// without the lock — rolls the batch back). A single execution, a resolution, an event
/// or a checkpoint is one statement of its own.
struct PostgresLogWriter {
    let conn: PostgresConnection
    let logger: Logger
    var chain: AuditChain

    /// Takes the log lock, then resumes the chain from what is stored.
    static func lockAndResume(_ conn: PostgresConnection, logger: Logger) async throws -> PostgresLogWriter {
        try await conn.query("SELECT id FROM log_head WHERE id = 1 FOR UPDATE", logger: logger)
        var size = 0
        var last: [UInt8] = []
        for try await (seq, hash) in try await conn.query("SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1",
                                                            logger: logger).decode((Int, ByteBuffer).self) {
            size = seq
            last = PostgresCodec.bytes(hash)
        }
        guard size > 0 else { return PostgresLogWriter(conn: conn, logger: logger, chain: AuditChain()) }
        let ids = AuditChain.nodesToResume(size: size)
        let stored = try await PostgresRows.treeHashes(conn, ids, logger: logger)
        let chain = try AuditChain.resume(size: size, lastEntryHash: last, storedHashes: ids.map { stored[$0] ?? [] })
        return PostgresLogWriter(conn: conn, logger: logger, chain: chain)
    }

    /// Applies a batch in order: each run of consecutive executions as one statement.
    mutating func apply(all works: [PostgresGroupCommit.Work]) async throws -> [PostgresGroupCommit.Outcome] {
        var out: [PostgresGroupCommit.Outcome] = []
        out.reserveCapacity(works.count)
        var i = 0
        while i < works.count {
            var run: [ExecutionCommit] = []
            while i + run.count < works.count, case .execution(let c) = works[i + run.count] { run.append(c) }
            if run.count > 1 {
                out += try await executions(run).map { .execution($0) }
                i += run.count
            } else {
                out.append(try await apply(works[i]))
                i += 1
            }
        }
        return out
    }

    mutating func apply(_ work: PostgresGroupCommit.Work) async throws -> PostgresGroupCommit.Outcome {
        switch work {
        case .execution(let c): return .execution(try await execution(c))
        case .resolution(let c): return .resolution(try await resolution(c))
        case .event(let kind, let record, let at): return .seq(try await event(kind, record: record, at: at))
        case .checkpoint(let env):
            let size = (try? CheckpointPayload(json: env.payload).size) ?? 0
            var b = PostgresBindings()
            b.append(size)
            b.append(PostgresCodec.buffer(CanonicalJSON.bytes(env.json)))
            try await conn.query(PostgresQuery(unsafeSQL: """
                INSERT INTO checkpoints (size, envelope) VALUES ($1, $2)
                ON CONFLICT (size) DO UPDATE SET envelope = EXCLUDED.envelope
                """, binds: b), logger: logger)
            return .done
        }
    }

    /// Binds of the entry row and tree nodes of an append: `$1` seq, `$2` kind,
    /// `$3` execution id, `$4` fingerprint, `$5` recorded_at, `$6` entry hash, `$7` record,
    /// `$8` node keys, `$9` node hashes.
    private func entryBinds(_ a: AuditChain.Appended, kind: AuditKind, executionID: UUID?, fingerprint: [UInt8]?,
                            record: [UInt8], at: Timestamp) -> PostgresBindings {
        var b = PostgresBindings()
        b.append(a.entry.seq)
        b.append(PostgresSchema.kindCode(kind))
        b.append(executionID)
        b.append(fingerprint.map(PostgresCodec.buffer))
        b.append(at.millisecondsSinceEpoch)
        b.append(PostgresCodec.buffer(a.entryHash))
        b.append(PostgresCodec.buffer(record))
        b.append(a.nodes.map(\.node.key))
        b.append(a.nodes.map { PostgresCodec.buffer($0.hash) })
        return b
    }

    private static let insertEntry = """
        INSERT INTO entries (seq, kind, execution_id, fingerprint, recorded_at, entry_hash, record)
        """
    private static let insertNodes = "INSERT INTO tree (node, hash) SELECT * FROM unnest($8::bigint[], $9::bytea[])"

    private mutating func event(_ kind: AuditKind, record: [UInt8], at: Timestamp) async throws -> Int {
        let a = chain.append(kind: kind, executionID: nil, fingerprint: nil, recordHash: Hashing.sha256Hex(record), at: at)
        let b = entryBinds(a, kind: kind, executionID: nil, fingerprint: nil, record: record, at: at)
        try await conn.query(PostgresQuery(unsafeSQL: """
            WITH t AS (\(Self.insertNodes))
            \(Self.insertEntry) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, binds: b), logger: logger)
        return a.entry.seq
    }

    private mutating func execution(_ c: ExecutionCommit) async throws -> ExecutionCommitOutcome {
        guard let id = PostgresCodec.uuid(c.executionID), let fp = PostgresCodec.hash(c.fingerprint) else {
            throw StoreError.corrupt("an execution id or fingerprint of the wrong form")
        }
        if let key = c.idempotency?.key, let existing = try await PostgresRows.idempotency(conn, key, logger: logger) {
            return .idempotencyKeyBound(existing)
        }
        // Appended on a copy: the chain moves only if the fingerprint was consumed.
        var next = chain
        let a = next.append(kind: .execution, executionID: c.executionID, fingerprint: c.fingerprint, recordHash: c.attestationHash, at: c.at)
        // The execution id and fingerprint are in the attestation record: not stored twice.
        var b = entryBinds(a, kind: .execution, executionID: nil, fingerprint: nil, record: c.attestationBytes, at: c.at)
        b.append(PostgresCodec.buffer(fp))                                            // $10
        b.append(id)                                                                   // $11
        b.append(PostgresSchema.stateCode(c.state))                                    // $12
        b.append(c.state == .pendingOverride)                                          // $13
        b.append(c.policyID)                                                           // $14
        b.append(c.expiresAt?.millisecondsSinceEpoch)                                  // $15
        b.append(c.retainedSignals.map(PostgresCodec.buffer))                          // $16
        b.append(c.idempotency?.key)                                                   // $17
        b.append(c.idempotency.flatMap { Hex.decode($0.requestHash) }.map(PostgresCodec.buffer))  // $18
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            WITH r AS (INSERT INTO replay (fingerprint, seq) VALUES ($10, $1) ON CONFLICT (fingerprint) DO NOTHING RETURNING seq),
            e AS (\(Self.insertEntry) SELECT $1, $2, $3, $4, $5, $6, $7 FROM r),
            t AS (INSERT INTO tree (node, hash) SELECT n.* FROM r, unnest($8::bigint[], $9::bytea[]) AS n),
            x AS (INSERT INTO executions (execution_id, seq, state) SELECT $11, $1, $12 FROM r),
            p AS (INSERT INTO pending (seq, execution_id, policy_id, expires_at) SELECT $1, $11, $14, $15 FROM r WHERE $13::boolean),
            s AS (INSERT INTO signals (execution_id, signals) SELECT $11, $16 FROM r WHERE $16::bytea IS NOT NULL),
            i AS (INSERT INTO idempotency (key, request_hash, execution_id) SELECT $17, $18, $11 FROM r
                  WHERE $17::text IS NOT NULL AND $18::bytea IS NOT NULL)
            SELECT (SELECT count(*) FROM r)::bigint,
                   (SELECT e.record FROM replay o JOIN entries e ON e.seq = o.seq WHERE o.fingerprint = $10)
            """, binds: b), logger: logger).collect()
        guard let row = rows.first else { throw StoreError.corrupt("no answer to an execution insert") }
        let (inserted, existing) = try row.decode((Int, ByteBuffer?).self)
        if inserted == 1 {
            chain = next
            return .committed(seq: a.entry.seq)
        }
        let consumer = existing.map { PostgresCodec.attestationFields(PostgresCodec.bytes($0)).executionID ?? "?" } ?? "?"
        return .replay(executionID: consumer)
    }

    /// Several executions in one statement. Outcomes follow the single-statement path's
    /// rules in order: a bound idempotency key answers first, then a consumed fingerprint
    /// (stored, or consumed earlier in this batch) is a replay, else the execution is
    /// appended.
    private mutating func executions(_ cs: [ExecutionCommit]) async throws -> [ExecutionCommitOutcome] {
        var ids: [UUID] = [], fps: [[UInt8]] = []
        for c in cs {
            guard let id = PostgresCodec.uuid(c.executionID), let fp = PostgresCodec.hash(c.fingerprint) else {
                throw StoreError.corrupt("an execution id or fingerprint of the wrong form")
            }
            ids.append(id)
            fps.append(fp)
        }
        let keys = Array(Set(cs.compactMap { $0.idempotency?.key }))
        var bound = keys.isEmpty ? [:] : try await PostgresRows.idempotency(conn, keys: keys, logger: logger)
        var consumers = try await PostgresRows.consumers(conn, of: Array(Set(fps)), logger: logger)

        var next = chain
        var outcomes: [ExecutionCommitOutcome] = []
        var rows = BulkExecutionRows()
        for (k, c) in cs.enumerated() {
            if let key = c.idempotency?.key, let existing = bound[key] {
                outcomes.append(.idempotencyKeyBound(existing))
                continue
            }
            if let consumer = consumers[fps[k]] {
                outcomes.append(.replay(executionID: consumer))
                continue
            }
            let a = next.append(kind: .execution, executionID: c.executionID, fingerprint: c.fingerprint, recordHash: c.attestationHash, at: c.at)
            rows.add(a, c, id: ids[k], fingerprint: fps[k])
            consumers[fps[k]] = c.executionID
            if let i = c.idempotency, Hex.decode(i.requestHash) != nil { bound[i.key] = i }
            outcomes.append(.committed(seq: a.entry.seq))
        }
        if !rows.seqs.isEmpty {
            var inserted = -1
            for try await n in try await conn.query(rows.query, logger: logger).decode(Int.self) { inserted = n }
            guard inserted == rows.seqs.count else {
                throw StoreError.unavailable("\(rows.seqs.count - inserted) fingerprint(s) were consumed outside the log lock; the batch was rolled back")
            }
        }
        chain = next
        return outcomes
    }

    /// Column arrays of a bulk execution insert.
    private struct BulkExecutionRows {
        var fingerprints: [ByteBuffer] = [], seqs: [Int] = [], recordedAt: [Int64] = [], entryHashes: [ByteBuffer] = []
        var records: [ByteBuffer] = [], nodeKeys: [Int64] = [], nodeHashes: [ByteBuffer] = []
        var ids: [UUID] = [], states: [Int16] = []
        var pendingSeqs: [Int] = [], pendingIDs: [UUID] = [], pendingPolicies: [String] = [], pendingExpiry: [Int64] = []
        var signalIDs: [UUID] = [], signals: [ByteBuffer] = []
        var keys: [String] = [], requestHashes: [ByteBuffer] = [], keyIDs: [UUID] = []

        /// `expires_at` has no NULL in an array bind: this stands for none.
        static let noExpiry = Int64.min

        mutating func add(_ a: AuditChain.Appended, _ c: ExecutionCommit, id: UUID, fingerprint: [UInt8]) {
            let seq = a.entry.seq
            fingerprints.append(PostgresCodec.buffer(fingerprint))
            seqs.append(seq)
            recordedAt.append(c.at.millisecondsSinceEpoch)
            entryHashes.append(PostgresCodec.buffer(a.entryHash))
            records.append(PostgresCodec.buffer(c.attestationBytes))
            for n in a.nodes {
                nodeKeys.append(n.node.key)
                nodeHashes.append(PostgresCodec.buffer(n.hash))
            }
            ids.append(id)
            states.append(PostgresSchema.stateCode(c.state))
            if c.state == .pendingOverride {
                pendingSeqs.append(seq)
                pendingIDs.append(id)
                pendingPolicies.append(c.policyID)
                pendingExpiry.append(c.expiresAt?.millisecondsSinceEpoch ?? Self.noExpiry)
            }
            if let s = c.retainedSignals {
                signalIDs.append(id)
                signals.append(PostgresCodec.buffer(s))
            }
            if let i = c.idempotency, let hash = Hex.decode(i.requestHash) {
                keys.append(i.key)
                requestHashes.append(PostgresCodec.buffer(hash))
                keyIDs.append(id)
            }
        }

        var query: PostgresQuery {
            var b = PostgresBindings()
            b.append(fingerprints)      // $1
            b.append(seqs)              // $2
            b.append(recordedAt)        // $3
            b.append(entryHashes)       // $4
            b.append(records)           // $5
            b.append(nodeKeys)          // $6
            b.append(nodeHashes)        // $7
            b.append(ids)               // $8
            b.append(states)            // $9
            b.append(pendingSeqs)       // $10
            b.append(pendingIDs)        // $11
            b.append(pendingPolicies)   // $12
            b.append(pendingExpiry)     // $13
            b.append(Self.noExpiry)     // $14
            b.append(signalIDs)         // $15
            b.append(signals)           // $16
            b.append(keys)              // $17
            b.append(requestHashes)     // $18
            b.append(keyIDs)            // $19
            return PostgresQuery(unsafeSQL: """
                WITH r AS (INSERT INTO replay (fingerprint, seq) SELECT * FROM unnest($1::bytea[], $2::bigint[])
                           ON CONFLICT (fingerprint) DO NOTHING RETURNING seq),
                e AS (INSERT INTO entries (seq, kind, execution_id, fingerprint, recorded_at, entry_hash, record)
                      SELECT u.s, 1, NULL, NULL, u.t, u.h, u.r FROM unnest($2::bigint[], $3::bigint[], $4::bytea[], $5::bytea[]) AS u(s, t, h, r)),
                n AS (INSERT INTO tree (node, hash) SELECT * FROM unnest($6::bigint[], $7::bytea[])),
                x AS (INSERT INTO executions (execution_id, seq, state) SELECT * FROM unnest($8::uuid[], $2::bigint[], $9::smallint[])),
                p AS (INSERT INTO pending (seq, execution_id, policy_id, expires_at)
                      SELECT u.s, u.i, u.p, NULLIF(u.x, $14::bigint) FROM unnest($10::bigint[], $11::uuid[], $12::text[], $13::bigint[]) AS u(s, i, p, x)),
                g AS (INSERT INTO signals (execution_id, signals) SELECT * FROM unnest($15::uuid[], $16::bytea[])),
                k AS (INSERT INTO idempotency (key, request_hash, execution_id) SELECT * FROM unnest($17::text[], $18::bytea[], $19::uuid[]))
                SELECT count(*)::bigint FROM r
                """, binds: b)
        }
    }

    private mutating func resolution(_ c: ResolutionCommit) async throws -> ResolutionCommitOutcome {
        guard let id = PostgresCodec.uuid(c.executionID) else { return .notFound }
        var lookup = PostgresBindings()
        lookup.append(id)
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT x.seq, x.state, (SELECT count(*) FROM resolutions r WHERE r.execution_id = x.execution_id)::bigint, e.record
            FROM executions x JOIN entries e ON e.seq = x.seq WHERE x.execution_id = $1
            """, binds: lookup), logger: logger).collect()
        guard let row = rows.first else { return .notFound }
        let (execSeq, stateCode, count, recordBuffer) = try row.decode((Int, Int, Int, ByteBuffer).self)
        guard PostgresSchema.state(stateCode) == .pendingOverride, count == c.basedOnResolutions else { return .stale }
        guard let fp = PostgresCodec.attestationFields(PostgresCodec.bytes(recordBuffer)).fingerprint, let fpBytes = PostgresCodec.hash(fp) else {
            throw StoreError.corrupt("execution \(c.executionID) has no readable attestation at seq \(execSeq)")
        }
        let a = chain.append(kind: c.kind, executionID: c.executionID, fingerprint: fp, recordHash: Hashing.sha256Hex(c.recordBytes), at: c.at)
        var b = entryBinds(a, kind: c.kind, executionID: id, fingerprint: fpBytes, record: c.recordBytes, at: c.at)
        b.append(PostgresSchema.stateCode(c.newState))   // $10
        b.append(c.newState != .pendingOverride)         // $11
        b.append(execSeq)                                // $12
        b.append(c.dropRetainedSignals)                  // $13
        try await conn.query(PostgresQuery(unsafeSQL: """
            WITH t AS (\(Self.insertNodes)),
            r AS (INSERT INTO resolutions (execution_id, seq) VALUES ($3, $1)),
            x AS (UPDATE executions SET state = $10 WHERE execution_id = $3),
            p AS (DELETE FROM pending WHERE $11::boolean AND seq = $12),
            s AS (DELETE FROM signals WHERE $13::boolean AND execution_id = $3)
            \(Self.insertEntry) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, binds: b), logger: logger)
        return .committed(seq: a.entry.seq)
    }
}
