import Foundation
import Logging
import NIOCore
import ParmanaCore
import ParmanaRuntime
import PostgresNIO

/// Applies writes inside one transaction on one connection. ``lockAndResume(_:logger:)``
/// takes the log lock and reads the chain head in one statement
/// (`SELECT size, last_entry_hash, frontier FROM log_head WHERE id = 1 FOR UPDATE`): every
/// appender of every node takes that row lock first, and every statement that appends
/// also stores the new head in that row, so under READ COMMITTED the locked row is the head
/// as the previous holder committed it (a `FOR UPDATE` that waited returns the row's newest
/// version). A head not yet stored (a log from before schema v2) is read from `entries`
/// and `tree` after the lock. Nothing is carried over between transactions.
///
/// Consecutive executions of a batch are written by one statement
/// (``executions(_:)``: data-modifying CTEs over arrays) that also checks, in the same
/// snapshot, that none of their fingerprints is consumed and none of their idempotency
/// keys is bound; only then does it write anything. So a batch of 64 new decisions is
/// four round trips (`BEGIN`, lock and head, the batch, `COMMIT`), three of them under
/// the lock. When the check finds a consumed fingerprint or a bound key (a replay, a
/// retry), nothing was written: the writer reads those, decides each outcome, and sends
/// the batch again. A resolution, an event or a checkpoint is one statement of its own.
struct PostgresLogWriter {
    let conn: PostgresConnection
    let logger: Logger
    var head: PostgresLogHead
    /// Whether this transaction has checked the head read with the lock against the log
    /// (``PostgresLogHead/matchesSQL(_:)``); once is enough.
    var headChecked = false

    /// Takes the log lock and resumes the chain from the head stored with it (or, for a
    /// log from before schema v2, from `entries` and `tree`).
    static func lockAndResume(_ conn: PostgresConnection, logger: Logger) async throws -> PostgresLogWriter {
        var row: (Int?, ByteBuffer?, [ByteBuffer]?) = (nil, nil, nil)
        for try await r in try await conn.query("SELECT size, last_entry_hash, frontier FROM log_head WHERE id = 1 FOR UPDATE",
                                                 logger: logger).decode((Int?, ByteBuffer?, [ByteBuffer]?).self) {
            row = r
        }
        if let size = row.0 {
            let head = try PostgresLogHead(size: size, lastEntryHash: row.1.map(PostgresCodec.bytes) ?? [],
                                           storedHashes: (row.2 ?? []).map(PostgresCodec.bytes))
            return PostgresLogWriter(conn: conn, logger: logger, head: head)
        }
        var size = 0
        var last: [UInt8] = []
        for try await (seq, hash) in try await conn.query("SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1",
                                                            logger: logger).decode((Int, ByteBuffer).self) {
            size = seq
            last = PostgresCodec.bytes(hash)
        }
        guard size > 0 else { return PostgresLogWriter(conn: conn, logger: logger, head: PostgresLogHead()) }
        let ids = AuditChain.nodesToResume(size: size)
        let stored = try await PostgresRows.treeHashes(conn, ids, logger: logger)
        let head = try PostgresLogHead(size: size, lastEntryHash: last, storedHashes: ids.map { stored[$0] ?? [] })
        return PostgresLogWriter(conn: conn, logger: logger, head: head)
    }

    private var headMismatch: StoreError {
        .corrupt("the chain head stored in log_head (size \(head.size)) does not match the log's entries and tree; nothing was appended. "
                 + "`parmana audit verify` checks the log itself; to have the head read from the entries again, set log_head's size, "
                 + "last_entry_hash and frontier to NULL (docs/runtime.md)")
    }

    /// Checks ``PostgresLogHead/matchesSQL(_:)`` in a statement of its own, once per
    /// transaction, before an event or a resolution (executions check it in their own statement).
    private mutating func checkHead() async throws {
        guard !headChecked else { return }
        var b = PostgresBindings()
        head.bindCheck(&b)
        var ok = false
        for try await v in try await conn.query(PostgresQuery(unsafeSQL: "SELECT \(PostgresLogHead.matchesSQL(1))", binds: b),
                                                logger: logger).decode(Bool.self) {
            ok = v
        }
        guard ok else { throw headMismatch }
        headChecked = true
    }

    /// Applies a batch in order: each run of consecutive executions as one statement.
    mutating func apply(all works: [PostgresGroupCommit.Work]) async throws -> [PostgresGroupCommit.Outcome] {
        var out: [PostgresGroupCommit.Outcome] = []
        out.reserveCapacity(works.count)
        var i = 0
        while i < works.count {
            var run: [ExecutionCommit] = []
            while i + run.count < works.count, case .execution(let c) = works[i + run.count] { run.append(c) }
            if !run.isEmpty {
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
        case .execution(let c): return .execution(try await executions([c])[0])
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
        try await checkHead()
        let a = head.append(kind: kind, executionID: nil, fingerprint: nil, recordHash: Hashing.sha256Hex(record), at: at)
        var b = entryBinds(a, kind: kind, executionID: nil, fingerprint: nil, record: record, at: at)
        let store = PostgresLogHead.storeSQL(b.count + 1)
        head.bindStored(&b)
        try await conn.query(PostgresQuery(unsafeSQL: """
            WITH t AS (\(Self.insertNodes)), \(store)
            \(Self.insertEntry) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, binds: b), logger: logger)
        return a.entry.seq
    }

    /// Several executions in one statement. Outcomes follow these rules in order: a bound
    /// idempotency key answers first, then a consumed fingerprint (stored, or consumed
    /// earlier in this batch) is a replay, else the execution is appended. The first
    /// attempt assumes nothing stored is in the way; its statement checks that and writes
    /// nothing otherwise, and the second attempt reads the consumers and bound keys first.
    private mutating func executions(_ cs: [ExecutionCommit]) async throws -> [ExecutionCommitOutcome] {
        var ids: [UUID] = [], fps: [[UInt8]] = []
        for c in cs {
            guard let id = PostgresCodec.uuid(c.executionID), let fp = PostgresCodec.hash(c.fingerprint) else {
                throw StoreError.corrupt("an execution id or fingerprint of the wrong form")
            }
            ids.append(id)
            fps.append(fp)
        }
        var stored: (bound: [String: IdempotencyRecord], consumers: [[UInt8]: String]) = ([:], [:])
        for attempt in 0..<2 {
            if attempt == 1 {
                let keys = Array(Set(cs.compactMap { $0.idempotency?.key }))
                stored.bound = keys.isEmpty ? [:] : try await PostgresRows.idempotency(conn, keys: keys, logger: logger)
                stored.consumers = try await PostgresRows.consumers(conn, of: Array(Set(fps)), logger: logger)
            }
            var (bound, consumers) = stored
            var next = head
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
                if let i = c.idempotency {
                    rows.checkedKeys.append(i.key)
                    if Hex.decode(i.requestHash) != nil { bound[i.key] = i }
                }
                outcomes.append(.committed(seq: a.entry.seq))
            }
            if rows.seqs.isEmpty {
                return outcomes
            }
            var answer: (clear: Bool, head: Bool, inserted: Int) = (false, false, -1)
            for try await row in try await conn.execute(rows.statement(from: head, to: next), logger: logger) { answer = row }
            guard answer.head else { throw headMismatch }
            headChecked = true
            if answer.clear {
                guard answer.inserted == rows.seqs.count else {
                    throw StoreError.unavailable("\(rows.seqs.count - answer.inserted) fingerprint(s) were consumed outside the log lock; the batch was rolled back")
                }
                head = next
                return outcomes
            }
        }
        throw StoreError.unavailable("fingerprints or idempotency keys of this batch were taken outside the log lock; the batch was rolled back")
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

        /// The idempotency keys the statement checks are unbound (every key of an appended
        /// execution).
        var checkedKeys: [String] = []

        /// The statement: when the log is what `from` says (``PostgresLogHead/matchesSQL(_:)``), no
        /// fingerprint of these rows is consumed and no checked key is bound, writes every
        /// row and `to`'s head, and answers `(true, true, rows inserted into replay)`;
        /// otherwise writes nothing and answers which check failed, with 0.
        func statement(from: PostgresLogHead, to: PostgresLogHead) -> AppendExecutions {
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
            b.append(checkedKeys)       // $20
            from.bindCheck(&b)          // $21 … $26
            to.bindStored(&b)           // $27, $28, $29
            return AppendExecutions(bindings: b)
        }
    }

    /// ``BulkExecutionRows/statement(from:to:)``, prepared once per connection (no parse
    /// or plan per batch while the log lock is held).
    struct AppendExecutions: PostgresPreparedStatement {
        typealias Row = (Bool, Bool, Int)
        static let name = "parmana_append_executions_v2"
        static let sql = """
            WITH ok AS (SELECT NOT EXISTS (SELECT 1 FROM replay WHERE fingerprint = ANY($1::bytea[]))
                           AND NOT EXISTS (SELECT 1 FROM idempotency WHERE key = ANY($20::text[])) AS clear,
                       \(PostgresLogHead.matchesSQL(21)) AS head),
            r AS (INSERT INTO replay (fingerprint, seq) SELECT u.f, u.s FROM unnest($1::bytea[], $2::bigint[]) AS u(f, s), ok WHERE ok.clear AND ok.head
                  ON CONFLICT (fingerprint) DO NOTHING RETURNING seq),
            e AS (INSERT INTO entries (seq, kind, execution_id, fingerprint, recorded_at, entry_hash, record)
                  SELECT u.s, 1, NULL, NULL, u.t, u.h, u.r FROM unnest($2::bigint[], $3::bigint[], $4::bytea[], $5::bytea[]) AS u(s, t, h, r), ok
                  WHERE ok.clear AND ok.head),
            n AS (INSERT INTO tree (node, hash) SELECT u.n, u.h FROM unnest($6::bigint[], $7::bytea[]) AS u(n, h), ok WHERE ok.clear AND ok.head),
            x AS (INSERT INTO executions (execution_id, seq, state)
                  SELECT u.i, u.s, u.t FROM unnest($8::uuid[], $2::bigint[], $9::smallint[]) AS u(i, s, t), ok WHERE ok.clear AND ok.head),
            p AS (INSERT INTO pending (seq, execution_id, policy_id, expires_at)
                  SELECT u.s, u.i, u.p, NULLIF(u.x, $14::bigint) FROM unnest($10::bigint[], $11::uuid[], $12::text[], $13::bigint[]) AS u(s, i, p, x), ok
                  WHERE ok.clear AND ok.head),
            g AS (INSERT INTO signals (execution_id, signals) SELECT u.i, u.g FROM unnest($15::uuid[], $16::bytea[]) AS u(i, g), ok WHERE ok.clear AND ok.head),
            k AS (INSERT INTO idempotency (key, request_hash, execution_id)
                  SELECT u.k, u.h, u.i FROM unnest($17::text[], $18::bytea[], $19::uuid[]) AS u(k, h, i), ok WHERE ok.clear AND ok.head),
            \(PostgresLogHead.storeSQL(27, when: "(SELECT clear AND head FROM ok)"))
            SELECT ok.clear, ok.head, (SELECT count(*) FROM r)::bigint FROM ok
            """
        let bindings: PostgresBindings

        func makeBindings() -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
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
        try await checkHead()
        let a = head.append(kind: c.kind, executionID: c.executionID, fingerprint: fp, recordHash: Hashing.sha256Hex(c.recordBytes), at: c.at)
        var b = entryBinds(a, kind: c.kind, executionID: id, fingerprint: fpBytes, record: c.recordBytes, at: c.at)
        b.append(PostgresSchema.stateCode(c.newState))   // $10
        b.append(c.newState != .pendingOverride)         // $11
        b.append(execSeq)                                // $12
        b.append(c.dropRetainedSignals)                  // $13
        let store = PostgresLogHead.storeSQL(14)
        head.bindStored(&b)
        try await conn.query(PostgresQuery(unsafeSQL: """
            WITH t AS (\(Self.insertNodes)), \(store),
            r AS (INSERT INTO resolutions (execution_id, seq) VALUES ($3, $1)),
            x AS (UPDATE executions SET state = $10 WHERE execution_id = $3),
            p AS (DELETE FROM pending WHERE $11::boolean AND seq = $12),
            s AS (DELETE FROM signals WHERE $13::boolean AND execution_id = $3)
            \(Self.insertEntry) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, binds: b), logger: logger)
        return .committed(seq: a.entry.seq)
    }
}
