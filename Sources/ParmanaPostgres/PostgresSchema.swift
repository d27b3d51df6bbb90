import Logging
import ParmanaCore
import ParmanaRuntime
import PostgresNIO

/// The PostgreSQL schema and its versioned migrations.
///
/// The data model is the SQLite v3 schema's (`SQLiteSchema`): each record once, every
/// fixed-size hash as `bytea`, execution ids as `uuid`:
///
/// | table | holds |
/// |---|---|
/// | `entries` | the audit log: seq, kind, execution id and fingerprint (resolutions only: an execution entry's are in its record), recorded_at (ms), entry_hash, record (JCS) |
/// | `tree` | interior Merkle nodes of level ≥ 2 by ``MerkleNodeID/key`` (level 1 is recomputed from two entry hashes) |
/// | `replay` | fingerprint → seq of the execution entry that consumed it |
/// | `executions` | execution id → seq, state |
/// | `resolutions` | execution id, seq of each accepted override / expiry |
/// | `pending` | the pending queue: seq, execution id, policy id, expires_at (ms) |
/// | `signals` | retained signals (JCS) |
/// | `idempotency` | Idempotency-Key → request hash, execution id |
/// | `checkpoints` | signed checkpoints by size |
/// | `log_head` | one row (`id = 1`): the lock every appender takes first, and the chain head as of the last append (size, last entry hash, Merkle frontier hashes; v2) |
///
/// `schema_migrations` lists the versions applied. ``migrate(_:logger:)`` runs at open, in
/// one transaction under an advisory lock, so nodes starting together apply each
/// migration once, in order; a database newer than this build is refused.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// `pg_advisory_xact_lock` key of schema migrations ("parmana" in ASCII).
    static let migrationLock: Int64 = 0x0070_6172_6D61_6E61

    static let migrations: [Migration] = [
        Migration(version: 1, name: "compact-log", statements: [
            """
            CREATE TABLE entries (
                seq bigint PRIMARY KEY, kind smallint NOT NULL, execution_id uuid, fingerprint bytea,
                recorded_at bigint NOT NULL, entry_hash bytea NOT NULL, record bytea NOT NULL)
            """,
            "CREATE INDEX entries_events ON entries (kind, seq) WHERE kind IN (3, 4)",
            "CREATE TABLE tree (node bigint PRIMARY KEY, hash bytea NOT NULL)",
            "CREATE TABLE replay (fingerprint bytea PRIMARY KEY, seq bigint NOT NULL)",
            "CREATE TABLE executions (execution_id uuid PRIMARY KEY, seq bigint NOT NULL, state smallint NOT NULL)",
            "CREATE TABLE resolutions (execution_id uuid NOT NULL, seq bigint NOT NULL, PRIMARY KEY (execution_id, seq))",
            "CREATE TABLE pending (seq bigint PRIMARY KEY, execution_id uuid NOT NULL, policy_id text NOT NULL, expires_at bigint)",
            "CREATE INDEX pending_by_policy ON pending (policy_id, seq)",
            "CREATE INDEX pending_by_expiry ON pending (expires_at) WHERE expires_at IS NOT NULL",
            "CREATE TABLE signals (execution_id uuid PRIMARY KEY, signals bytea NOT NULL)",
            "CREATE TABLE idempotency (key text PRIMARY KEY, request_hash bytea NOT NULL, execution_id uuid NOT NULL)",
            "CREATE TABLE checkpoints (size bigint PRIMARY KEY, envelope bytea NOT NULL)",
            "CREATE TABLE log_head (id smallint PRIMARY KEY CHECK (id = 1))",
            "INSERT INTO log_head (id) VALUES (1)",
        ]),
        // The chain head in the locked row: an appender reads it with the lock, in one
        // round trip (NULL: not yet written by a v2 appender; read from `entries`).
        Migration(version: 2, name: "log-head", statements: [
            "ALTER TABLE log_head ADD COLUMN size bigint, ADD COLUMN last_entry_hash bytea, ADD COLUMN frontier bytea[]",
        ]),
    ]

    /// The newest version this build knows.
    static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// Applies the missing migrations in order, in one transaction, under an advisory lock.
    /// Returns the versions applied now.
    static func migrate(_ conn: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await conn.query("BEGIN", logger: logger)
        do {
            // Opening is not a decision: a migration may take longer than store_timeout_ms,
            // and may wait for another node's migration.
            try await conn.query("SET LOCAL statement_timeout = 0", logger: logger)
            try await conn.query("SET LOCAL lock_timeout = '60s'", logger: logger)
            try await conn.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await conn.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await v in try await conn.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
                applied.insert(v)
            }
            if let newest = applied.max(), newest > currentVersion {
                throw StoreError.unavailable("the PostgreSQL schema is at version \(newest), newer than this build's \(currentVersion); upgrade Parmana")
            }
            var now: [Int] = []
            for m in migrations where !applied.contains(m.version) {
                for sql in m.statements { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                try await conn.query("INSERT INTO schema_migrations (version, name) VALUES (\(m.version), \(m.name))", logger: logger)
                now.append(m.version)
            }
            try await conn.query("COMMIT", logger: logger)
            return now
        } catch {
            _ = try? await conn.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    // MARK: codes (the same as SQLite's)

    static func kindCode(_ k: AuditKind) -> Int16 {
        switch k {
        case .execution: 1
        case .override: 2
        case .policyLoaded: 3
        case .runtimeStarted: 4
        case .overrideExpired: 5
        }
    }

    static func kind(_ code: Int) -> AuditKind? {
        switch code {
        case 1: .execution
        case 2: .override
        case 3: .policyLoaded
        case 4: .runtimeStarted
        case 5: .overrideExpired
        default: nil
        }
    }

    static func stateCode(_ s: ExecutionState) -> Int16 {
        switch s {
        case .completed: 1
        case .pendingOverride: 2
        case .overrideApproved: 3
        case .overrideRejected: 4
        case .overrideExpired: 5
        }
    }

    static func state(_ code: Int) -> ExecutionState? {
        switch code {
        case 1: .completed
        case 2: .pendingOverride
        case 3: .overrideApproved
        case 4: .overrideRejected
        case 5: .overrideExpired
        default: nil
        }
    }
}
