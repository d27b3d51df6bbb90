import Foundation
import GRDB
import ParmanaCore
import ParmanaRuntime

/// Moves a v2 database (tables renamed `legacy_*`) into the v3 schema, inside the
/// migration's transaction. Every entry keeps its seq, fields, record bytes and stored
/// entry hash exactly; the Merkle nodes are built from the stored entry hashes. What the
/// old tables held beside the log (states, replay rows) is carried over as it was, so
/// `audit verify` still sees any earlier tampering (`projection_mismatch`).
enum SQLiteLegacyMigration {
    static func run(_ db: Database) throws {
        var frontier = MerkleFrontier()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT seq, kind, execution_id, execution_fingerprint, recorded_at, entry_hash, record FROM legacy_audit ORDER BY seq
            """)
        while let row = try rows.next() {
            let seq: Int = row["seq"]
            let kindText: String = row["kind"]
            guard let kind = AuditKind(rawValue: kindText), let recorded = Timestamp(row["recorded_at"] as String),
                  let entryHash = Hex.decode(row["entry_hash"] as String), entryHash.count == 32 else {
                throw StoreError.corrupt("legacy entry \(seq) cannot be migrated")
            }
            let id: String? = row["execution_id"], fp: String? = row["execution_fingerprint"]
            let record: String = row["record"]
            try db.execute(sql: """
                INSERT INTO entries (seq, kind, execution_id, fingerprint, recorded_at, entry_hash, record) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [seq, SQLiteSchema.kindCode(kind), id.flatMap(SQLiteSchema.uuidBytes), fp.flatMap(Hex.decode).map { Data($0) },
                                 recorded.millisecondsSinceEpoch, Data(entryHash), Data(record.utf8)])
            // Nodes of a gapless prefix only; a gap is the tamper audit verify reports.
            if seq == frontier.size + 1 {
                for n in frontier.append(leaf: Merkle.leafHash(entryHash)) where n.node.level >= MerkleProofs.lowestStoredInteriorLevel {
                    try db.execute(sql: "INSERT INTO tree (node, hash) VALUES (?, ?)", arguments: [n.node.key, Data(n.hash)])
                }
            }
        }
        var seqOfExecution: [String: Int] = [:]
        let execs = try Row.fetchCursor(db, sql: "SELECT execution_id, attestation, state, seq, override_seq FROM legacy_executions")
        while let row = try execs.next() {
            let id: String = row["execution_id"], seq: Int = row["seq"], stateText: String = row["state"]
            guard let key = SQLiteSchema.uuidBytes(id), let state = ExecutionState(rawValue: stateText) else {
                throw StoreError.corrupt("legacy execution \(id) cannot be migrated")
            }
            seqOfExecution[id] = seq
            try db.execute(sql: "INSERT INTO executions (execution_id, seq, state) VALUES (?, ?, ?)",
                           arguments: [key, seq, SQLiteSchema.stateCode(state)])
            if let overrideSeq = row["override_seq"] as Int? {
                try db.execute(sql: "INSERT INTO resolutions (execution_id, seq) VALUES (?, ?)", arguments: [key, overrideSeq])
            }
            if state == .pendingOverride {
                let text: String = row["attestation"]
                let policyID = (try? JSONParser(maxBytes: Int.max).parse(text))?["payload"]?["policy"]?["policy_id"]?.stringValue ?? ""
                try db.execute(sql: "INSERT INTO pending (seq, execution_id, policy_id, expires_at) VALUES (?, ?, ?, NULL)",
                               arguments: [seq, key, policyID])
            }
        }
        let replay = try Row.fetchCursor(db, sql: "SELECT fingerprint, execution_id FROM legacy_replay")
        while let row = try replay.next() {
            let fp: String = row["fingerprint"], id: String = row["execution_id"]
            guard let bytes = Hex.decode(fp) else { throw StoreError.corrupt("legacy replay row \(fp) cannot be migrated") }
            try db.execute(sql: "INSERT INTO replay (fingerprint, seq) VALUES (?, ?)", arguments: [Data(bytes), seqOfExecution[id] ?? 0])
        }
        if try db.tableExists("legacy_checkpoints") {
            let cps = try Row.fetchCursor(db, sql: "SELECT size, envelope FROM legacy_checkpoints ORDER BY id")
            while let row = try cps.next() {
                let text: String = row["envelope"]
                try db.execute(sql: "INSERT OR REPLACE INTO checkpoints (size, envelope) VALUES (?, ?)",
                               arguments: [row["size"] as Int, Data(text.utf8)])
            }
        }
    }
}
