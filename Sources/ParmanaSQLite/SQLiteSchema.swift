import Foundation
import GRDB
import ParmanaCore

/// The SQLite schema and its versioned migrations (GRDB `DatabaseMigrator`).
///
/// Version 3 (`compact-log`) keeps each record once and every fixed-size hash as bytes:
///
/// | table | holds | per decision |
/// |---|---|---|
/// | `entries` | the audit log: seq, kind, execution id (16 B) and fingerprint (32 B) — NULL for execution entries, whose record holds them — recorded_at (ms), entry_hash (32 B), record (JCS) | one row |
/// | `tree` | interior Merkle nodes (complete subtrees, level ≥ 2; level 1 is two leaf reads) by ``MerkleNodeID/key`` | ~¼ row |
/// | `replay` | fingerprint → seq of the execution entry that consumed it | one row |
/// | `executions` | execution id → seq, state | one row |
/// | `resolutions` | execution id, seq of each accepted override / expiry | per override |
/// | `pending` | the pending queue: seq, execution id, policy id, expires_at | while pending |
/// | `signals` | retained signals (JCS) of executions that need an approver | while retained |
/// | `idempotency` | Idempotency-Key → request hash, execution id (SPEC §18) | per keyed request |
/// | `checkpoints` | signed checkpoints by size | per checkpoint |
///
/// `prev_hash` and `record_hash` are not stored: they are the previous row's entry hash
/// and the SHA-256 of the record, recomputed on read. The stored `entry_hash` is what the
/// tree commits to; `audit verify` recomputes every one.
///
/// Older workspaces (the v2 schema: `audit`, `executions` with attestation copies, hex
/// text hashes) migrate on open, in one transaction, keeping every entry byte for byte.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("3-compact-log") { db in
            let legacy = try db.tableExists("audit")
            if legacy {
                for t in ["replay", "executions", "checkpoints"] where try db.tableExists(t) {
                    try db.execute(sql: "ALTER TABLE \(t) RENAME TO legacy_\(t)")
                }
                try db.execute(sql: "ALTER TABLE audit RENAME TO legacy_audit")
                try db.execute(sql: "DROP INDEX IF EXISTS pending_executions; DROP INDEX IF EXISTS events_by_record_hash")
            }
            try create(db)
            if legacy {
                try SQLiteLegacyMigration.run(db)
                for t in ["legacy_audit", "legacy_replay", "legacy_executions", "legacy_checkpoints"] where try db.tableExists(t) {
                    try db.execute(sql: "DROP TABLE \(t)")
                }
            }
        }
        return m
    }

    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE entries (
                seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, execution_id BLOB, fingerprint BLOB,
                recorded_at INTEGER NOT NULL, entry_hash BLOB NOT NULL, record BLOB NOT NULL);
            CREATE INDEX events ON entries(kind) WHERE kind IN (3, 4);
            CREATE TABLE tree (node INTEGER PRIMARY KEY, hash BLOB NOT NULL);
            CREATE TABLE replay (fingerprint BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE executions (execution_id BLOB PRIMARY KEY, seq INTEGER NOT NULL, state INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE resolutions (execution_id BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (execution_id, seq)) WITHOUT ROWID;
            CREATE TABLE pending (seq INTEGER PRIMARY KEY, execution_id BLOB NOT NULL, policy_id TEXT NOT NULL, expires_at INTEGER);
            CREATE INDEX pending_by_expiry ON pending(expires_at) WHERE expires_at IS NOT NULL;
            CREATE TABLE signals (execution_id BLOB PRIMARY KEY, signals BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE idempotency (key TEXT PRIMARY KEY, request_hash BLOB NOT NULL, execution_id BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, envelope BLOB NOT NULL);
            """)
    }

    // MARK: codes

    static func kindCode(_ k: AuditKind) -> Int {
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

    static func stateCode(_ s: ExecutionState) -> Int {
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

    /// 16 bytes of a lowercase UUID (any 32 hex digits with dashes), or nil.
    static func uuidBytes(_ s: String) -> Data? {
        guard s.utf8.count == 36 else { return nil }
        let hex = s.replacingOccurrences(of: "-", with: "")
        guard hex.utf8.count == 32, let b = Hex.decode(hex) else { return nil }
        return Data(b)
    }

    /// The lowercase UUID text of 16 bytes.
    static func uuidString(_ b: [UInt8]) -> String {
        let h = Hex.encode(b)
        guard h.utf8.count == 32 else { return h }
        let u = Array(h.utf8)
        func part(_ r: Range<Int>) -> String { String(decoding: u[r], as: UTF8.self) }
        return "\(part(0..<8))-\(part(8..<12))-\(part(12..<16))-\(part(16..<20))-\(part(20..<32))"
    }
}
