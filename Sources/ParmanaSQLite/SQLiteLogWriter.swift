import Foundation
import GRDB
import ParmanaCore
import ParmanaRuntime

/// Applies writes inside one write transaction. The chain is resumed from the database
/// at the start of every transaction (``resume(_:)``), never carried over.
struct SQLiteLogWriter {
    let db: Database
    var chain: AuditChain

    /// The chain head as stored: size, last entry hash, and the frontier nodes.
    static func resume(_ db: Database) throws -> AuditChain {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1") else {
            return AuditChain()
        }
        let size: Int = row["seq"]
        let last = SQLiteBytes.column(row, "entry_hash")
        let ids = AuditChain.nodesToResume(size: size)
        let stored = try SQLiteRows.treeHashes(db, ids)
        return try AuditChain.resume(size: size, lastEntryHash: last, storedHashes: ids.map { stored[$0] ?? [] })
    }

    mutating func append(kind: AuditKind, executionID: String?, executionIDBytes: Data?, fingerprint: String?,
                         fingerprintBytes: Data?, record: [UInt8], recordHash: String, at: Timestamp) throws -> Int {
        let a = chain.append(kind: kind, executionID: executionID, fingerprint: fingerprint, recordHash: recordHash, at: at)
        try db.cachedStatement(sql: """
            INSERT INTO entries (seq, kind, execution_id, fingerprint, recorded_at, entry_hash, record) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [a.entry.seq, SQLiteSchema.kindCode(kind), executionIDBytes, fingerprintBytes,
                                     at.millisecondsSinceEpoch, Data(a.entryHash), Data(record)])
        for n in a.nodes {
            // OR REPLACE: a node planted ahead of the log cannot block appends; audit verify
            // compares every stored node with the log.
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO tree (node, hash) VALUES (?, ?)").execute(arguments: [n.node.key, Data(n.hash)])
        }
        return a.entry.seq
    }

    mutating func apply(_ work: SQLiteEvidenceStore.Work) throws -> SQLiteEvidenceStore.Outcome {
        switch work {
        case .execution(let c): return .execution(try execution(c))
        case .resolution(let c): return .resolution(try resolution(c))
        case .event(let kind, let record, let at):
            return .seq(try append(kind: kind, executionID: nil, executionIDBytes: nil, fingerprint: nil, fingerprintBytes: nil,
                                   record: record, recordHash: Hashing.sha256Hex(record), at: at))
        case .checkpoint(let env):
            let size = (try? CheckpointPayload(json: env.payload).size) ?? 0
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO checkpoints (size, envelope) VALUES (?, ?)").execute(
                arguments: [size, Data(CanonicalJSON.bytes(env.json))])
            return .done
        }
    }

    mutating func execution(_ c: ExecutionCommit) throws -> ExecutionCommitOutcome {
        guard let id = SQLiteSchema.uuidBytes(c.executionID), let fpBytes = Hex.decode(c.fingerprint), fpBytes.count == 32 else {
            throw StoreError.corrupt("an execution id or fingerprint of the wrong form")
        }
        let fp = Data(fpBytes)
        if let key = c.idempotency?.key, let row = try Row.fetchOne(
            db, sql: "SELECT request_hash, execution_id FROM idempotency WHERE key = ?", arguments: [key]) {
            let hash = SQLiteBytes.column(row, "request_hash"), existing = SQLiteBytes.column(row, "execution_id")
            return .idempotencyKeyBound(IdempotencyRecord(key: key, requestHash: Hex.encode(hash), executionID: SQLiteSchema.uuidString(existing)))
        }
        let seq = chain.size + 1
        try db.cachedStatement(sql: "INSERT INTO replay (fingerprint, seq) VALUES (?, ?) ON CONFLICT(fingerprint) DO NOTHING").execute(
            arguments: [fp, seq])
        if db.changesCount == 0 {
            let existing = try Int.fetchOne(db, sql: "SELECT seq FROM replay WHERE fingerprint = ?", arguments: [fp]) ?? 0
            let record = try SQLiteBytes.one(db, "SELECT record FROM entries WHERE seq = ?", [existing]) ?? []
            return .replay(executionID: SQLiteRows.attestationFields(record).executionID ?? "?")
        }
        // The execution id and fingerprint are in the attestation record: not stored twice.
        let appended = try append(kind: .execution, executionID: c.executionID, executionIDBytes: nil, fingerprint: c.fingerprint,
                                  fingerprintBytes: nil, record: c.attestationBytes, recordHash: c.attestationHash, at: c.at)
        precondition(appended == seq)
        try db.cachedStatement(sql: "INSERT INTO executions (execution_id, seq, state) VALUES (?, ?, ?)").execute(
            arguments: [id, seq, SQLiteSchema.stateCode(c.state)])
        if c.state == .pendingOverride {
            try db.cachedStatement(sql: "INSERT INTO pending (seq, execution_id, policy_id, expires_at) VALUES (?, ?, ?, ?)").execute(
                arguments: [seq, id, c.policyID, c.expiresAt?.millisecondsSinceEpoch])
        }
        if let s = c.retainedSignals {
            try db.cachedStatement(sql: "INSERT INTO signals (execution_id, signals) VALUES (?, ?)").execute(arguments: [id, Data(s)])
        }
        if let i = c.idempotency, let hash = Hex.decode(i.requestHash) {
            try db.cachedStatement(sql: "INSERT INTO idempotency (key, request_hash, execution_id) VALUES (?, ?, ?)").execute(
                arguments: [i.key, Data(hash), id])
        }
        return .committed(seq: seq)
    }

    mutating func resolution(_ c: ResolutionCommit) throws -> ResolutionCommitOutcome {
        guard let id = SQLiteSchema.uuidBytes(c.executionID),
              let row = try Row.fetchOne(db, sql: "SELECT seq, state FROM executions WHERE execution_id = ?", arguments: [id]) else {
            return .notFound
        }
        let state = SQLiteSchema.state(row["state"])
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM resolutions WHERE execution_id = ?", arguments: [id]) ?? 0
        guard state == .pendingOverride, count == c.basedOnResolutions else { return .stale }
        let execSeq: Int = row["seq"]
        let attestation = try SQLiteBytes.one(db, "SELECT record FROM entries WHERE seq = ?", [execSeq]) ?? []
        guard let fp = SQLiteRows.attestationFields(attestation).fingerprint, let fpBytes = Hex.decode(fp) else {
            throw StoreError.corrupt("execution \(c.executionID) has no readable attestation at seq \(execSeq)")
        }
        let seq = try append(kind: c.kind, executionID: c.executionID, executionIDBytes: id, fingerprint: fp,
                             fingerprintBytes: Data(fpBytes), record: c.recordBytes, recordHash: Hashing.sha256Hex(c.recordBytes), at: c.at)
        try db.cachedStatement(sql: "INSERT INTO resolutions (execution_id, seq) VALUES (?, ?)").execute(arguments: [id, seq])
        try db.cachedStatement(sql: "UPDATE executions SET state = ? WHERE execution_id = ?").execute(
            arguments: [SQLiteSchema.stateCode(c.newState), id])
        if c.newState != .pendingOverride {
            try db.cachedStatement(sql: "DELETE FROM pending WHERE seq = ?").execute(arguments: [execSeq])
        }
        if c.dropRetainedSignals {
            try db.cachedStatement(sql: "DELETE FROM signals WHERE execution_id = ?").execute(arguments: [id])
        }
        return .committed(seq: seq)
    }
}
