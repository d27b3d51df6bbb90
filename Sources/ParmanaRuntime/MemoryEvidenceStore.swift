import ParmanaCore
import Synchronization

/// An in-memory ``EvidenceStore``: exact semantics, no durability. For tests, dry runs
/// and benchmarks. A failure can be injected to test fail-closed behaviour.
public final class MemoryEvidenceStore: EvidenceStore {
    struct Row {
        var seq: Int
        var state: ExecutionState
        var resolutions: [Int]
        var policyID: String
        var expiresAt: Timestamp?
    }

    struct State {
        var records: [AuditRecord] = []
        var nodes: [MerkleNodeID: [UInt8]] = [:]
        var chain = AuditChain()
        var executions: [String: Row] = [:]
        var replay: [String: Int] = [:]
        var pending: Set<String> = []
        var signals: [String: [UInt8]] = [:]
        var idempotency: [String: IdempotencyRecord] = [:]
        var checkpoints: [Envelope] = []
        var failing = false

        mutating func append(kind: AuditKind, executionID: String?, fingerprint: String?, record: [UInt8], recordHash: String,
                             at: Timestamp) -> Int {
            let a = chain.append(kind: kind, executionID: executionID, fingerprint: fingerprint, recordHash: recordHash, at: at)
            records.append(AuditRecord(entry: a.entry, recordBytes: record, storedEntryHash: a.entryHash))
            for n in a.nodes { nodes[n.node] = n.hash }
            return a.entry.seq
        }

        func stored(_ id: String) -> StoredExecution? {
            guard let row = executions[id] else { return nil }
            return StoredExecution(executionID: id, seq: row.seq, state: row.state, attestation: records[row.seq - 1],
                                   resolutions: row.resolutions.map { records[$0 - 1] }, retainedSignals: signals[id])
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Makes every call fail with `store_unavailable` (tests).
    public func setFailing(_ on: Bool) { state.withLock { $0.failing = on } }

    private func locked<T>(_ body: (inout State) throws(StoreError) -> T) throws(StoreError) -> T {
        try state.withLock { (s) throws(StoreError) -> T in
            if s.failing { throw StoreError.unavailable("the memory store is set to fail") }
            return try body(&s)
        }
    }

    public func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        try locked { (s) throws(StoreError) in
            if let key = c.idempotency?.key, let existing = s.idempotency[key] { return .idempotencyKeyBound(existing) }
            if let seq = s.replay[c.fingerprint] { return .replay(executionID: s.records[seq - 1].entry.executionID ?? "?") }
            let seq = s.append(kind: .execution, executionID: c.executionID, fingerprint: c.fingerprint, record: c.attestationBytes,
                               recordHash: c.attestationHash, at: c.at)
            s.replay[c.fingerprint] = seq
            s.executions[c.executionID] = Row(seq: seq, state: c.state, resolutions: [], policyID: c.policyID, expiresAt: c.expiresAt)
            if c.state == .pendingOverride { s.pending.insert(c.executionID) }
            if let signals = c.retainedSignals { s.signals[c.executionID] = signals }
            if let i = c.idempotency { s.idempotency[i.key] = i }
            return .committed(seq: seq)
        }
    }

    public func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome {
        try locked { (s) throws(StoreError) in
            guard var row = s.executions[c.executionID] else { return .notFound }
            guard row.state == .pendingOverride, row.resolutions.count == c.basedOnResolutions else { return .stale }
            let seq = s.append(kind: c.kind, executionID: c.executionID, fingerprint: s.records[row.seq - 1].entry.executionFingerprint,
                               record: c.recordBytes, recordHash: Hashing.sha256Hex(c.recordBytes), at: c.at)
            row.resolutions.append(seq)
            row.state = c.newState
            s.executions[c.executionID] = row
            if c.newState != .pendingOverride { s.pending.remove(c.executionID) }
            if c.dropRetainedSignals { s.signals[c.executionID] = nil }
            return .committed(seq: seq)
        }
    }

    public func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int {
        try locked { (s) throws(StoreError) in
            s.append(kind: kind, executionID: nil, fingerprint: nil, record: record, recordHash: Hashing.sha256Hex(record), at: at)
        }
    }

    public func add(checkpoint: Envelope) async throws(StoreError) {
        try locked { (s) throws(StoreError) in
            // One checkpoint per size, the newest kept (as the SQLite store does).
            let size = (try? CheckpointPayload(json: checkpoint.payload).size) ?? -1
            s.checkpoints.removeAll { ((try? CheckpointPayload(json: $0.payload).size) ?? -2) == size }
            s.checkpoints.append(checkpoint)
        }
    }

    // MARK: reads

    public func size() async throws(StoreError) -> Int { try locked { $0.records.count } }

    public func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] {
        try locked { s in
            let start = max(0, seq - 1)
            guard start < s.records.count, limit > 0 else { return [] }
            return Array(s.records[start..<min(s.records.count, start + limit)])
        }
    }

    public func treeHashes(_ ids: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] {
        try locked { s in
            var out: [MerkleNodeID: [UInt8]] = [:]
            for id in ids {
                if id.level == 0 {
                    if id.index < s.records.count, let h = s.records[id.index].storedEntryHash { out[id] = h }
                } else if let h = s.nodes[id] {
                    out[id] = h
                }
            }
            return out
        }
    }

    public func latestCheckpoint() async throws(StoreError) -> Envelope? {
        try locked { s in s.checkpoints.max { (try? CheckpointPayload(json: $0.payload).size) ?? -1 < (try? CheckpointPayload(json: $1.payload).size) ?? -1 } }
    }

    public func checkpoints() async throws(StoreError) -> [Envelope] { try locked { $0.checkpoints } }

    public func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? {
        try locked { s in s.records.last { $0.entry.kind == kind } }
    }

    public func containsEvent(recordHash: String) async throws(StoreError) -> Bool {
        try locked { s in
            s.records.contains { ($0.entry.kind == .policyLoaded || $0.entry.kind == .runtimeStarted) && $0.entry.recordHash == recordHash }
        }
    }

    public func execution(_ id: String) async throws(StoreError) -> StoredExecution? {
        try locked { s in s.stored(id) }
    }

    public func consumer(of fingerprint: String) async throws(StoreError) -> String? {
        try locked { s in s.replay[fingerprint].flatMap { s.records[$0 - 1].entry.executionID } }
    }

    public func pending(_ q: PendingQuery) async throws(StoreError) -> [StoredExecution] {
        try locked { s in
            let ids = s.pending.compactMap { id -> (Int, String)? in
                guard let row = s.executions[id], row.seq > q.afterSeq, q.policyID == nil || row.policyID == q.policyID else { return nil }
                return (row.seq, id)
            }.sorted { $0.0 < $1.0 }.prefix(q.limit)
            return ids.compactMap { s.stored($0.1) }
        }
    }

    public func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] {
        try locked { s in
            Array(s.pending.compactMap { id -> (Int, String)? in
                guard let row = s.executions[id], let t = row.expiresAt, t <= time else { return nil }
                return (row.seq, id)
            }.sorted { $0.0 < $1.0 }.prefix(limit).map(\.1))
        }
    }

    public func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? {
        try locked { $0.idempotency[key] }
    }

    public func projectionRows() async throws(StoreError) -> [ProjectionRow] {
        try locked { s in
            var rows: [ProjectionRow] = s.replay.map { .replay(fingerprint: $0.key, seq: $0.value) }
            for (id, row) in s.executions {
                rows.append(.execution(id: id, seq: row.seq, state: row.state, resolutionSeqs: row.resolutions))
            }
            for id in s.pending {
                let row = s.executions[id]
                rows.append(.pending(id: id, seq: row?.seq ?? 0, policyID: row?.policyID ?? "", expiresAt: row?.expiresAt))
            }
            for (id, signals) in s.signals { rows.append(.retainedSignals(id: id, signals: signals)) }
            for (key, r) in s.idempotency { rows.append(.idempotency(key: key, executionID: r.executionID, requestHash: r.requestHash)) }
            return rows
        }
    }

    public func isHealthy() async -> Bool { state.withLock { !$0.failing } }

    public func close() async {}
}
