import Foundation
import Logging
import NIOCore
import ParmanaCore
import ParmanaRuntime
import PostgresNIO

/// The shared ``EvidenceStore`` of topology B (SPEC §17.2): several nodes append to one
/// log in one PostgreSQL database.
///
/// Consuming the fingerprint (`INSERT … ON CONFLICT DO NOTHING`), recording the execution
/// and appending its audit entry are one transaction. Concurrent writes of this node are
/// **group-committed** (``PostgresGroupCommit``): one transaction per batch, every caller
/// answered after `COMMIT` with `synchronous_commit = on`. Each transaction first locks
/// the log (`SELECT … FROM log_head WHERE id = 1 FOR UPDATE`), which serializes appenders
/// across processes and nodes, and only then reads the chain head and Merkle frontier
/// (``AuditChain``): never cached, because other nodes append to the same log.
///
/// `store_timeout_ms` bounds every operation (SPEC §17.4): a write not taken in time, or
/// a connection refused, is ``StoreError/unavailable(_:)`` (nothing written); a `COMMIT`
/// without an answer in time is ``StoreError/timeout(_:)`` (outcome unknown); a failed
/// transaction is rolled back and is ``StoreError/unavailable(_:)``. When the server comes
/// back, the same store object serves again (the pool reconnects; see
/// ``PostgresConnector``).
///
/// The schema (``PostgresSchema``) is the SQLite v3 data model: each record once,
/// hashes as `bytea`, execution ids as `uuid`, versioned migrations run at open.
public final class PostgresEvidenceStore: EvidenceStore {
    public let configuration: PostgresStoreConfiguration
    let connector: PostgresConnector
    let writer: PostgresGroupCommit
    let logger: Logger

    private init(_ configuration: PostgresStoreConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        connector = PostgresConnector(configuration, logger: logger)
        writer = PostgresGroupCommit(connector: connector, logger: logger)
    }

    /// Connects, checks that commits are durable, and migrates the schema.
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when the server cannot be reached within
    ///   `store_timeout_ms`, refuses the login, runs with `fsync = off` or
    ///   `synchronous_commit = off` (an attestation must not leave before its commit is
    ///   on disk), or holds a schema newer than this build.
    /// - Parameter logger: PostgresNIO's background events (connection attempts) and the
    ///   store's own (migrations, pool replacement); silent by default, so that command
    ///   output stays clean.
    public static func open(_ configuration: PostgresStoreConfiguration,
                            logger: Logger = PostgresEvidenceStore.silent) async throws(StoreError) -> PostgresEvidenceStore {
        let store = PostgresEvidenceStore(configuration, logger: logger)
        do {
            try await store.connector.lease(until: .now + configuration.timeout, grace: .seconds(120)) { conn in
                var settings: [String: String] = [:]
                for try await (name, value) in try await conn.query(
                    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')", logger: logger)
                    .decode((String, String).self) {
                    settings[name] = value
                }
                guard settings["fsync"] == "on" else {
                    throw StoreError.unavailable("PostgreSQL runs with fsync = \(settings["fsync"] ?? "?"): commits would not be durable; refusing it")
                }
                guard let sync = settings["synchronous_commit"], sync != "off" else {
                    throw StoreError.unavailable("PostgreSQL synchronous_commit is off for this session: commits would not be durable; refusing it")
                }
                let applied = try await PostgresSchema.migrate(conn, logger: logger)
                if !applied.isEmpty { logger.info("PostgreSQL schema migrated", metadata: ["versions": "\(applied)"]) }
            }
        } catch {
            await store.close()
            if case PostgresConnector.Failure.noConnection = error, let why = await PostgresConnector.diagnose(configuration, logger: logger) {
                throw StoreError.unavailable("cannot open the PostgreSQL store at \(configuration.redactedURL): the server refused the connection: \(why)")
            }
            throw store.mapped(error, doing: "open the PostgreSQL store at \(configuration.redactedURL)")
        }
        return store
    }

    /// Opens the store named by a `postgres://` URL (``PostgresStoreConfiguration/init(url:timeoutMilliseconds:)``).
    public static func open(url: String, timeoutMilliseconds: Int = 2000,
                            logger: Logger = PostgresEvidenceStore.silent) async throws(ParmanaError) -> PostgresEvidenceStore {
        let config = try PostgresStoreConfiguration(url: url, timeoutMilliseconds: timeoutMilliseconds)
        do { return try await open(config, logger: logger) } catch { throw ParmanaError(error) }
    }

    /// A logger that drops everything.
    public static let silent = Logger(label: "parmana.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Group-commit statistics of this node: transactions run and writes they carried.
    public var commitStats: (transactions: Int, jobs: Int) { writer.stats }

    // MARK: errors

    func mapped(_ error: any Error, doing what: String) -> StoreError {
        switch error {
        case let e as StoreError: return e
        case PostgresConnector.Failure.noConnection(let m): return .unavailable(m)
        default: return .unavailable("could not \(what): \(PostgresConnector.describe(error))")
        }
    }

    // MARK: EvidenceStore writes

    public func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        guard case .execution(let o) = try await writer.submit(.execution(c)) else { throw StoreError.corrupt("unexpected outcome") }
        return o
    }

    public func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome {
        guard case .resolution(let o) = try await writer.submit(.resolution(c)) else { throw StoreError.corrupt("unexpected outcome") }
        return o
    }

    public func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int {
        guard case .seq(let s) = try await writer.submit(.event(kind, record, at)) else { throw StoreError.corrupt("unexpected outcome") }
        return s
    }

    public func add(checkpoint: Envelope) async throws(StoreError) {
        _ = try await writer.submit(.checkpoint(checkpoint))
    }

    // MARK: reads

    /// One read on a pooled connection, bounded by `store_timeout_ms` (a bulk read for
    /// `audit verify` by `bulk` after the connection came): no connection in time is
    /// ``StoreError/unavailable(_:)``, no answer in time ``StoreError/timeout(_:)``.
    private func read<T: Sendable>(bulk: Duration = .zero,
                                   _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(StoreError) -> T {
        let logger = logger
        let start = ContinuousClock.now
        do {
            return try await connector.lease(until: start + configuration.timeout, grace: bulk) { conn in try await body(conn, logger) }
        } catch {
            if case PostgresConnector.Failure.noConnection = error { throw mapped(error, doing: "read") }
            if let e = error as? StoreError { throw e }
            if start.duration(to: .now) >= configuration.timeout + bulk {
                throw StoreError.timeout("PostgreSQL did not answer within \(configuration.timeoutMilliseconds) ms")
            }
            throw mapped(error, doing: "read from PostgreSQL")
        }
    }

    public func size() async throws(StoreError) -> Int {
        try await read { conn, logger in try await PostgresRows.size(conn, logger: logger) }
    }

    public func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] {
        try await read { conn, logger in try await PostgresRows.entries(conn, from: seq, limit: limit, logger: logger) }
    }

    public func treeHashes(_ ids: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] {
        try await read { conn, logger in try await PostgresRows.treeHashes(conn, ids, logger: logger) }
    }

    public func latestCheckpoint() async throws(StoreError) -> Envelope? {
        try await read { conn, logger in
            for try await env in try await conn.query("SELECT envelope FROM checkpoints ORDER BY size DESC LIMIT 1", logger: logger)
                .decode(ByteBuffer.self) {
                return try PostgresRows.envelope(env)
            }
            return nil
        }
    }

    public func checkpoints() async throws(StoreError) -> [Envelope] {
        try await read { conn, logger in
            var out: [Envelope] = []
            for try await env in try await conn.query("SELECT envelope FROM checkpoints ORDER BY size", logger: logger).decode(ByteBuffer.self) {
                out.append(try PostgresRows.envelope(env))
            }
            return out
        }
    }

    public func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? {
        let code = PostgresSchema.kindCode(kind)
        return try await read { conn, logger in
            var seq: Int?
            for try await s in try await conn.query("SELECT seq FROM entries WHERE kind IN (3, 4) AND kind = \(code) ORDER BY seq DESC LIMIT 1",
                                                    logger: logger).decode(Int.self) {
                seq = s
            }
            guard let seq else { return nil }
            return try await PostgresRows.entries(conn, from: seq, limit: 1, logger: logger).first
        }
    }

    public func containsEvent(recordHash: String) async throws(StoreError) -> Bool {
        guard let hash = PostgresCodec.hash(recordHash) else { return false }
        let buffer = PostgresCodec.buffer(hash)
        return try await read { conn, logger in
            for try await found in try await conn.query(
                "SELECT EXISTS (SELECT 1 FROM entries WHERE kind IN (3, 4) AND sha256(record) = \(buffer))", logger: logger).decode(Bool.self) {
                return found
            }
            return false
        }
    }

    public func execution(_ id: String) async throws(StoreError) -> StoredExecution? {
        guard let uuid = PostgresCodec.uuid(id) else { return nil }
        return try await read { conn, logger in try await PostgresRows.executions(conn, [uuid], logger: logger).first }
    }

    public func consumer(of fingerprint: String) async throws(StoreError) -> String? {
        guard let fp = PostgresCodec.hash(fingerprint) else { return nil }
        let buffer = PostgresCodec.buffer(fp)
        return try await read { conn, logger in
            for try await record in try await conn.query(
                "SELECT e.record FROM replay r JOIN entries e ON e.seq = r.seq WHERE r.fingerprint = \(buffer)", logger: logger)
                .decode(ByteBuffer.self) {
                return PostgresCodec.attestationFields(PostgresCodec.bytes(record)).executionID
            }
            return nil
        }
    }

    public func pending(_ q: PendingQuery) async throws(StoreError) -> [StoredExecution] {
        try await read { conn, logger in
            let rows: PostgresRowSequence
            if let policy = q.policyID {
                rows = try await conn.query("""
                    SELECT execution_id FROM pending WHERE seq > \(q.afterSeq) AND policy_id = \(policy) ORDER BY seq LIMIT \(q.limit)
                    """, logger: logger)
            } else {
                rows = try await conn.query("SELECT execution_id FROM pending WHERE seq > \(q.afterSeq) ORDER BY seq LIMIT \(q.limit)",
                                            logger: logger)
            }
            var ids: [UUID] = []
            for try await id in rows.decode(UUID.self) { ids.append(id) }
            return try await PostgresRows.executions(conn, ids, logger: logger)
        }
    }

    public func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] {
        let ms = time.millisecondsSinceEpoch
        return try await read { conn, logger in
            var out: [String] = []
            for try await id in try await conn.query("SELECT execution_id FROM pending WHERE expires_at <= \(ms) ORDER BY seq LIMIT \(limit)",
                                                     logger: logger).decode(UUID.self) {
                out.append(PostgresCodec.string(id))
            }
            return out
        }
    }

    public func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? {
        try await read { conn, logger in try await PostgresRows.idempotency(conn, key, logger: logger) }
    }

    /// Every projection row, from one snapshot (a read-only REPEATABLE READ transaction,
    /// without the statement timeout: this is `audit verify` reading everything).
    public func projectionRows() async throws(StoreError) -> [ProjectionRow] {
        try await read(bulk: .seconds(600)) { conn, logger in
            try await conn.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                try await conn.query("SET LOCAL statement_timeout = 0", logger: logger)
                let rows = try await PostgresRows.projection(conn, logger: logger)
                try await conn.query("COMMIT", logger: logger)
                return rows
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Whether PostgreSQL answers within `store_timeout_ms`.
    public func isHealthy() async -> Bool {
        (try? await read { conn, logger in
            for try await one in try await conn.query("SELECT 1", logger: logger).decode(Int.self) { return one }
            return 0
        }) == 1
    }

    /// `fsync` of the server and `synchronous_commit` of a session of this store (both
    /// must be `on`; ``open(_:logger:)`` refuses otherwise).
    public func durabilitySettings() async throws(StoreError) -> (fsync: String, synchronousCommit: String) {
        try await read { conn, logger in
            var fsync = "?", sync = "?"
            for try await (f, s) in try await conn.query("SELECT current_setting('fsync'), current_setting('synchronous_commit')",
                                                         logger: logger).decode((String, String).self) {
                (fsync, sync) = (f, s)
            }
            return (fsync, sync)
        }
    }

    /// The schema versions applied (`schema_migrations`), in order.
    public func schemaVersions() async throws(StoreError) -> [Int] {
        try await read { conn, logger in
            var out: [Int] = []
            for try await v in try await conn.query("SELECT version FROM schema_migrations ORDER BY version", logger: logger).decode(Int.self) {
                out.append(v)
            }
            return out
        }
    }

    /// Answers the queued writes, refuses new ones, then closes the pool.
    public func close() async {
        await writer.close()
        connector.close()
    }
}
