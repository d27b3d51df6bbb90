import Dispatch
import Foundation
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
/// per decision. The chain head and Merkle frontier are read inside each transaction
/// (``AuditChain``), never cached. The schema (``SQLiteSchema``) keeps each record once
/// and every fixed-size hash as bytes.
public final class SQLiteEvidenceStore: EvidenceStore {
    let pool: DatabasePool
    public let path: String
    private let queue = DispatchQueue(label: "parmana.sqlite.writer")
    private let pendingJobs = Mutex(Pending())

    struct Pending {
        var jobs: [Job] = []
        var running = false
        var closed = false
        var transactions = 0
        var committedJobs = 0
    }

    /// Group-commit statistics: transactions run and jobs they carried.
    public var commitStats: (transactions: Int, jobs: Int) {
        pendingJobs.withLock { ($0.transactions, $0.committedJobs) }
    }

    enum Work {
        case execution(ExecutionCommit)
        case resolution(ResolutionCommit)
        case event(AuditKind, [UInt8], Timestamp)
        case checkpoint(Envelope)
    }

    enum Outcome {
        case execution(ExecutionCommitOutcome)
        case resolution(ResolutionCommitOutcome)
        case seq(Int)
        case done
    }

    struct Job {
        var work: Work
        var complete: @Sendable (Result<Outcome, StoreError>) -> Void
    }

    /// Largest number of jobs in one transaction.
    public let maxBatch = 512

    /// Opens (creating if needed) the database at `path`, migrating an older schema.
    /// `busyTimeout` bounds how long a write waits for another process's lock
    /// (`store_timeout_ms`); past it the write fails with `store_unavailable`.
    public init(path: String, busyTimeout: Duration = .seconds(2)) throws(StoreError) {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            // 4 KiB pages (SQLite's default, stated so it never drifts): a log row (~770
            // bytes, execution id and fingerprint kept only inside the record) packs five to
            // a page, and a group commit's random-key index writes stay small in the WAL.
            // (16 KiB pages saved 10% of the file but made each commit write 4× the bytes.)
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        config.busyMode = .timeout(Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB switches the writer to synchronous=NORMAL when it enables WAL; an
            // attestation must not leave before its commit is on disk, so force FULL on
            // the (single, long-lived) writer connection.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try SQLiteSchema.migrator.migrate(pool)
        } catch {
            throw StoreError.unavailable("cannot open the SQLite store at \(path): \(error)")
        }
    }

    // MARK: group commit

    private func submit(_ work: Work) async throws(StoreError) -> Outcome {
        let result: Result<Outcome, StoreError> = await withCheckedContinuation { cont in
            let job = Job(work: work) { cont.resume(returning: $0) }
            let start = pendingJobs.withLock { p -> Bool? in
                if p.closed { return nil }
                p.jobs.append(job)
                if p.running { return false }
                p.running = true
                return true
            }
            switch start {
            case nil: job.complete(.failure(.unavailable("the SQLite store is closed")))
            case true?: queue.async { self.drain() }
            case false?: break
            }
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
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    outcomes = []
                    var writer = SQLiteLogWriter(db: db, chain: try SQLiteLogWriter.resume(db))
                    for job in batch { outcomes.append(try writer.apply(job.work)) }
                    return .commit
                }
            }
            pendingJobs.withLock {
                $0.transactions += 1
                $0.committedJobs += batch.count
            }
            for (job, o) in zip(batch, outcomes) { job.complete(.success(o)) }
        } catch {
            // The transaction rolled back: nothing of the batch is in the database.
            let e = StoreError.unavailable("the SQLite store could not commit: \(error)")
            for job in batch { job.complete(.failure(e)) }
        }
    }

    // MARK: EvidenceStore writes

    public func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        guard case .execution(let o) = try await submit(.execution(c)) else { throw StoreError.corrupt("unexpected outcome") }
        return o
    }

    public func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome {
        guard case .resolution(let o) = try await submit(.resolution(c)) else { throw StoreError.corrupt("unexpected outcome") }
        return o
    }

    public func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int {
        guard case .seq(let s) = try await submit(.event(kind, record, at)) else { throw StoreError.corrupt("unexpected outcome") }
        return s
    }

    public func add(checkpoint: Envelope) async throws(StoreError) {
        _ = try await submit(.checkpoint(checkpoint))
    }

    // MARK: reads

    private func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.unavailable("the SQLite store could not be read: \(error)")
        }
    }

    public func size() async throws(StoreError) -> Int {
        try await read { db in try SQLiteRows.size(db) }
    }

    public func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] {
        try await read { db in try SQLiteRows.entries(db, from: seq, limit: limit) }
    }

    public func treeHashes(_ ids: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] {
        try await read { db in try SQLiteRows.treeHashes(db, ids) }
    }

    public func latestCheckpoint() async throws(StoreError) -> Envelope? {
        try await read { db in
            try SQLiteBytes.one(db, "SELECT envelope FROM checkpoints ORDER BY size DESC LIMIT 1").map(SQLiteRows.envelope)
        }
    }

    public func checkpoints() async throws(StoreError) -> [Envelope] {
        try await read { db in try SQLiteBytes.all(db, "SELECT envelope FROM checkpoints ORDER BY size").map(SQLiteRows.envelope) }
    }

    public func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? {
        try await read { db in
            guard let seq = try Int.fetchOne(db, sql: "SELECT seq FROM entries WHERE kind IN (3, 4) AND kind = ? ORDER BY seq DESC LIMIT 1",
                                             arguments: [SQLiteSchema.kindCode(kind)]) else { return nil }
            return try SQLiteRows.entries(db, from: seq, limit: 1).first
        }
    }

    public func containsEvent(recordHash: String) async throws(StoreError) -> Bool {
        try await read { db in
            let records = try SQLiteBytes.all(db, "SELECT record FROM entries WHERE kind IN (3, 4)")
            return records.contains { Hashing.sha256Hex($0) == recordHash }
        }
    }

    public func execution(_ id: String) async throws(StoreError) -> StoredExecution? {
        try await read { db in try SQLiteRows.execution(db, id) }
    }

    public func consumer(of fingerprint: String) async throws(StoreError) -> String? {
        guard let fp = Hex.decode(fingerprint), fp.count == 32 else { return nil }
        return try await read { db in
            guard let seq = try Int.fetchOne(db, sql: "SELECT seq FROM replay WHERE fingerprint = ?", arguments: [Data(fp)]),
                  let record = try SQLiteBytes.one(db, "SELECT record FROM entries WHERE seq = ?", [seq]) else { return nil }
            return SQLiteRows.attestationFields(record).executionID
        }
    }

    public func pending(_ q: PendingQuery) async throws(StoreError) -> [StoredExecution] {
        try await read { db in
            let ids: [[UInt8]]
            if let policy = q.policyID {
                ids = try SQLiteBytes.all(db, "SELECT execution_id FROM pending WHERE seq > ? AND policy_id = ? ORDER BY seq LIMIT ?",
                                          [q.afterSeq, policy, q.limit])
            } else {
                ids = try SQLiteBytes.all(db, "SELECT execution_id FROM pending WHERE seq > ? ORDER BY seq LIMIT ?", [q.afterSeq, q.limit])
            }
            return try ids.compactMap { try SQLiteRows.execution(db, SQLiteSchema.uuidString($0)) }
        }
    }

    public func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] {
        try await read { db in
            try SQLiteBytes.all(db, "SELECT execution_id FROM pending WHERE expires_at <= ? ORDER BY seq LIMIT ?",
                                [time.millisecondsSinceEpoch, limit]).map(SQLiteSchema.uuidString)
        }
    }

    public func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT request_hash, execution_id FROM idempotency WHERE key = ?", arguments: [key]) else {
                return nil
            }
            let hash = SQLiteBytes.column(row, "request_hash"), id = SQLiteBytes.column(row, "execution_id")
            return IdempotencyRecord(key: key, requestHash: Hex.encode(hash), executionID: SQLiteSchema.uuidString(id))
        }
    }

    public func projectionRows() async throws(StoreError) -> [ProjectionRow] {
        try await read { db in try SQLiteRows.projection(db) }
    }

    public func isHealthy() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Waits for queued writes, refuses new ones, then closes the database.
    public func close() async {
        pendingJobs.withLock { $0.closed = true }
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

    /// Moves the WAL into the database file and truncates it (for size measurements).
    public func checkpointWAL() throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
