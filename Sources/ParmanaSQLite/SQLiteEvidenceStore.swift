import Dispatch
import GRDB
import ParmanaCore
import ParmanaRuntime
import Synchronization

/// The embedded default ``EvidenceStore``: one SQLite file (WAL, `synchronous=FULL`).
///
/// The replay record, execution record and audit entry of one decision commit in one
/// transaction. Concurrent writes are **group-committed**: callers queue their work,
/// one writer drains the queue into a single transaction, and every caller resumes
/// only after that transaction is durable. Durability costs one fsync per batch, not
/// per decision.
public final class SQLiteEvidenceStore: EvidenceStore {
    let pool: DatabasePool
    public let path: String
    private let queue = DispatchQueue(label: "parmana.sqlite.writer")
    private let pendingJobs = Mutex(Pending())
    /// (seq, entry_hash) of the last entry; touched only on the writer queue.
    nonisolated(unsafe) private var head: (seq: Int, entryHash: String)?

    struct Pending {
        var jobs: [Job] = []
        var running = false
        var transactions = 0
        var committedJobs = 0
    }

    /// Group-commit statistics: transactions run and jobs they carried.
    public var commitStats: (transactions: Int, jobs: Int) {
        pendingJobs.withLock { ($0.transactions, $0.committedJobs) }
    }

    enum Work {
        case execution(ExecutionCommit)
        case override(OverrideCommit)
        case event(AuditKind, JSONValue, Timestamp)
        case checkpoint(Envelope)
    }

    enum Outcome {
        case execution(ExecutionCommitOutcome)
        case override(OverrideCommitOutcome)
        case seq(Int)
        case done
    }

    struct Job {
        var work: Work
        var complete: @Sendable (Result<Outcome, ParmanaError>) -> Void
    }

    /// Largest number of jobs in one transaction.
    public let maxBatch = 512

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(ParmanaError) {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB switches the writer to synchronous=NORMAL when it enables WAL; an
            // attestation must not leave before its commit is on disk, so force FULL on
            // the (single, long-lived) writer connection.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try pool.write { db in try SQLiteEvidenceStore.migrate(db) }
            head = try pool.read { db in try SQLiteEvidenceStore.readHead(db) }
        } catch {
            throw ParmanaError(.storeUnavailable, "cannot open the SQLite store at \(path): \(error)")
        }
    }

    /// The schema. Only two B-trees take a random key per decision (the replay record's
    /// fingerprint and the execution id); the other lookups use partial indexes over the
    /// few rows they serve, so a commit dirties few pages.
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS replay (
                fingerprint TEXT PRIMARY KEY, execution_id TEXT NOT NULL, consumed_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS executions (
                execution_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, attestation TEXT NOT NULL,
                attestation_hash TEXT NOT NULL, state TEXT NOT NULL, override TEXT, seq INTEGER NOT NULL,
                override_seq INTEGER);
            DROP INDEX IF EXISTS executions_by_state;
            CREATE INDEX IF NOT EXISTS pending_executions ON executions(execution_id) WHERE state = 'pending_override';
            CREATE TABLE IF NOT EXISTS audit (
                seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, execution_id TEXT, execution_fingerprint TEXT,
                record_hash TEXT NOT NULL, prev_hash TEXT NOT NULL, recorded_at TEXT NOT NULL,
                entry_hash TEXT NOT NULL, record TEXT NOT NULL);
            DROP INDEX IF EXISTS audit_by_record_hash;
            CREATE INDEX IF NOT EXISTS events_by_record_hash ON audit(record_hash) WHERE kind IN ('policy_loaded', 'runtime_started');
            CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, envelope TEXT NOT NULL);
            """)
    }

    static func readHead(_ db: Database) throws -> (seq: Int, entryHash: String)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1") else { return nil }
        return (seq: row["seq"], entryHash: row["entry_hash"])
    }

    // MARK: group commit

    private func submit(_ work: Work) async throws(ParmanaError) -> Outcome {
        let result: Result<Outcome, ParmanaError> = await withCheckedContinuation { cont in
            let job = Job(work: work) { cont.resume(returning: $0) }
            let start = pendingJobs.withLock { p -> Bool in
                p.jobs.append(job)
                if p.running { return false }
                p.running = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
        return try result.get()
    }

    private func drain() {
        while true {
            let batch = pendingJobs.withLock { p -> [Job] in
                let take = Array(p.jobs.prefix(maxBatch))
                p.jobs.removeFirst(take.count)
                if take.isEmpty { p.running = false }
                return take
            }
            if batch.isEmpty { return }
            run(batch)
        }
    }

    /// One transaction for the whole batch; callers resume after COMMIT (durable).
    private func run(_ batch: [Job]) {
        var outcomes: [Outcome] = []
        var h = head
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for job in batch { outcomes.append(try apply(job.work, db, &h)) }
                    return .commit
                }
            }
            head = h
            pendingJobs.withLock {
                $0.transactions += 1
                $0.committedJobs += batch.count
            }
            for (job, o) in zip(batch, outcomes) { job.complete(.success(o)) }
        } catch {
            head = try? pool.read { db in try SQLiteEvidenceStore.readHead(db) }
            let e = ParmanaError(.storeUnavailable, "the SQLite store could not commit: \(error)")
            for job in batch { job.complete(.failure(e)) }
        }
    }

    private func appendEntry(_ db: Database, _ h: inout (seq: Int, entryHash: String)?, kind: AuditKind, executionID: String?,
                             fingerprint: String?, record: JSONValue, at: Timestamp) throws -> Int {
        let bytes = CanonicalJSON.bytes(record)
        return try appendEntry(db, &h, kind: kind, executionID: executionID, fingerprint: fingerprint,
                               recordText: String(decoding: bytes, as: UTF8.self), recordHash: Hashing.sha256Hex(bytes), at: at)
    }

    private func appendEntry(_ db: Database, _ h: inout (seq: Int, entryHash: String)?, kind: AuditKind, executionID: String?,
                             fingerprint: String?, recordText: String, recordHash: String, at: Timestamp) throws -> Int {
        let e = AuditEntry.next(after: h, kind: kind, executionID: executionID, executionFingerprint: fingerprint, recordHash: recordHash, at: at)
        let hash = e.entryHash
        try db.cachedStatement(sql: """
                INSERT INTO audit (seq, kind, execution_id, execution_fingerprint, record_hash, prev_hash, recorded_at, entry_hash, record)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [e.seq, e.kind.rawValue, e.executionID, e.executionFingerprint, e.recordHash, e.prevHash,
                        e.recordedAt.description, hash, recordText])
        h = (seq: e.seq, entryHash: hash)
        return e.seq
    }

    private func apply(_ work: Work, _ db: Database, _ h: inout (seq: Int, entryHash: String)?) throws -> Outcome {
        switch work {
        case .execution(let c):
            try db.cachedStatement(sql: "INSERT INTO replay (fingerprint, execution_id, consumed_at) VALUES (?, ?, ?) ON CONFLICT(fingerprint) DO NOTHING").execute(
                arguments: [c.fingerprint, c.executionID, c.at.description])
            if db.changesCount == 0 {
                let existing = try String.fetchOne(db, sql: "SELECT execution_id FROM replay WHERE fingerprint = ?", arguments: [c.fingerprint]) ?? "?"
                return .execution(.replay(executionID: existing))
            }
            let text = String(decoding: c.attestationBytes, as: UTF8.self)
            let seq = try appendEntry(db, &h, kind: .execution, executionID: c.executionID, fingerprint: c.fingerprint,
                                      recordText: text, recordHash: c.attestationHash, at: c.at)
            try db.cachedStatement(
                sql: "INSERT INTO executions (execution_id, fingerprint, attestation, attestation_hash, state, seq) VALUES (?, ?, ?, ?, ?, ?)").execute(
                arguments: [c.executionID, c.fingerprint, text, c.attestationHash, c.state.rawValue, seq])
            return .execution(.committed(seq: seq))
        case .override(let c):
            guard let row = try Row.fetchOne(db, sql: "SELECT state, fingerprint FROM executions WHERE execution_id = ?", arguments: [c.executionID]) else {
                return .override(.notFound)
            }
            let state = ExecutionState(rawValue: row["state"]) ?? .completed
            guard state == .pendingOverride else { return .override(.notPending(state)) }
            let record = c.override.json
            let seq = try appendEntry(db, &h, kind: .override, executionID: c.executionID, fingerprint: row["fingerprint"], record: record, at: c.at)
            try db.cachedStatement(sql: "UPDATE executions SET state = ?, override = ?, override_seq = ? WHERE execution_id = ?").execute(
                arguments: [c.newState.rawValue, CanonicalJSON.string(record), seq, c.executionID])
            return .override(.committed(seq: seq))
        case .event(let kind, let record, let at):
            return .seq(try appendEntry(db, &h, kind: kind, executionID: nil, fingerprint: nil, record: record, at: at))
        case .checkpoint(let env):
            let size = (try? CheckpointPayload(json: env.payload).size) ?? 0
            try db.cachedStatement(sql: "INSERT INTO checkpoints (size, envelope) VALUES (?, ?)").execute(
                arguments: [size, CanonicalJSON.string(env.json)])
            return .done
        }
    }

    // MARK: EvidenceStore

    public func commit(_ c: ExecutionCommit) async throws(ParmanaError) -> ExecutionCommitOutcome {
        guard case .execution(let o) = try await submit(.execution(c)) else { throw ParmanaError(.storeUnavailable, "unexpected outcome") }
        return o
    }

    public func commit(_ c: OverrideCommit) async throws(ParmanaError) -> OverrideCommitOutcome {
        guard case .override(let o) = try await submit(.override(c)) else { throw ParmanaError(.storeUnavailable, "unexpected outcome") }
        return o
    }

    public func append(kind: AuditKind, record: JSONValue, at: Timestamp) async throws(ParmanaError) -> Int {
        guard case .seq(let s) = try await submit(.event(kind, record, at)) else { throw ParmanaError(.storeUnavailable, "unexpected outcome") }
        return s
    }

    public func add(checkpoint: Envelope) async throws(ParmanaError) {
        _ = try await submit(.checkpoint(checkpoint))
    }

    private func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(ParmanaError) -> T {
        do {
            return try await pool.read(body)
        } catch let e as ParmanaError {
            throw e
        } catch {
            throw ParmanaError(.storeUnavailable, "the SQLite store could not be read: \(error)")
        }
    }

    static func parse(_ text: String) throws -> JSONValue {
        try JSONParser(maxBytes: 64 << 20).parse(Array(text.utf8))
    }

    static func executionRecord(_ row: Row) throws -> ExecutionRecord {
        let overrideText: String? = row["override"]
        return ExecutionRecord(
            executionID: row["execution_id"], fingerprint: row["fingerprint"],
            attestation: try Envelope(json: try parse(row["attestation"])), attestationHash: row["attestation_hash"],
            state: ExecutionState(rawValue: row["state"]) ?? .completed,
            override: try overrideText.map { try Envelope(json: try parse($0)) }, seq: row["seq"], overrideSeq: row["override_seq"])
    }

    public func execution(_ id: String) async throws(ParmanaError) -> ExecutionRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM executions WHERE execution_id = ?", arguments: [id]).map(SQLiteEvidenceStore.executionRecord)
        }
    }

    public func consumer(of fingerprint: String) async throws(ParmanaError) -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT execution_id FROM replay WHERE fingerprint = ?", arguments: [fingerprint]) }
    }

    public func pending(limit: Int, after: String?) async throws(ParmanaError) -> [ExecutionRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM executions WHERE state = 'pending_override' AND execution_id > ? ORDER BY execution_id LIMIT ?",
                             arguments: [after ?? "", limit]).map(SQLiteEvidenceStore.executionRecord)
        }
    }

    static func auditRecord(_ row: Row) throws -> AuditRecord {
        let kind = AuditKind(rawValue: row["kind"]) ?? .execution
        let recordedAt: String = row["recorded_at"]
        let entry = AuditEntry(seq: row["seq"], kind: kind, executionID: row["execution_id"], executionFingerprint: row["execution_fingerprint"],
                               recordHash: row["record_hash"], prevHash: row["prev_hash"],
                               recordedAt: Timestamp(recordedAt) ?? Timestamp(millisecondsSinceEpoch: 0))
        return AuditRecord(entry: entry, record: try parse(row["record"]))
    }

    public func entries(from seq: Int, limit: Int) async throws(ParmanaError) -> [AuditRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [seq, limit]).map(SQLiteEvidenceStore.auditRecord)
        }
    }

    public func size() async throws(ParmanaError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") ?? 0 }
    }

    public func lastEntry(of kind: AuditKind) async throws(ParmanaError) -> AuditRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit WHERE kind = ? ORDER BY seq DESC LIMIT 1", arguments: [kind.rawValue]).map(SQLiteEvidenceStore.auditRecord)
        }
    }

    public func contains(recordHash: String) async throws(ParmanaError) -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM audit WHERE record_hash = ? AND kind IN ('policy_loaded', 'runtime_started'))",
                              arguments: [recordHash]) ?? false
        }
    }

    public func checkpoints() async throws(ParmanaError) -> [Envelope] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT envelope FROM checkpoints ORDER BY id").map { try Envelope(json: try SQLiteEvidenceStore.parse($0)) }
        }
    }

    public func isHealthy() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Waits for queued writes, then closes the database.
    public func close() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            queue.async { cont.resume() }
        }
        while pendingJobs.withLock({ $0.running || !$0.jobs.isEmpty }) {
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in queue.async { cont.resume() } }
        }
        try? pool.close()
    }

    /// The `synchronous` and `journal_mode` pragmas in force on the writer connection.
    public func pragmas() throws -> (synchronous: Int, journalMode: String) {
        try pool.writeWithoutTransaction { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1, try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?")
        }
    }
}

/// A standalone SQLite ``ReplayStore`` (its own table in the same kind of file).
public final class SQLiteReplayStore: ReplayStore {
    let queue: DatabaseQueue

    public init(path: String) throws(ParmanaError) {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // (A DatabaseQueue does not touch `synchronous`; FULL stays in force.)
        config.busyMode = .timeout(10)
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS replay (fingerprint TEXT PRIMARY KEY, execution_id TEXT NOT NULL, consumed_at TEXT NOT NULL)")
            }
        } catch {
            throw ParmanaError(.storeUnavailable, "cannot open the SQLite replay store at \(path): \(error)")
        }
    }

    public func consume(_ fingerprint: String, executionID: String, at: Timestamp) async throws(ParmanaError) -> ReplayOutcome {
        do {
            return try await queue.write { db -> ReplayOutcome in
                try db.execute(sql: "INSERT INTO replay (fingerprint, execution_id, consumed_at) VALUES (?, ?, ?) ON CONFLICT(fingerprint) DO NOTHING",
                               arguments: [fingerprint, executionID, at.description])
                if db.changesCount == 1 { return .consumed }
                return .replay(executionID: try String.fetchOne(db, sql: "SELECT execution_id FROM replay WHERE fingerprint = ?", arguments: [fingerprint]) ?? "?")
            }
        } catch {
            throw ParmanaError(.storeUnavailable, "the SQLite replay store failed: \(error)")
        }
    }
}
