import ParmanaCore
import ParmanaRuntime
import Synchronization

/// A real evidence store whose execution commits can be made to end in an unknown
/// outcome, as a crash or a timeout would: ``Mode/commitThenTimeout`` commits and then
/// throws `StoreError.timeout`; ``Mode/timeoutWithoutCommit`` throws it without
/// committing. Everything else is the inner store's.
final class UnknownOutcomeStore: EvidenceStore {
    enum Mode: Sendable { case pass, commitThenTimeout, timeoutWithoutCommit }

    let inner: any EvidenceStore
    private let state = Mutex(Mode.pass)

    init(_ inner: any EvidenceStore) { self.inner = inner }

    func set(_ mode: Mode) { state.withLock { $0 = mode } }

    func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        switch state.withLock({ $0 }) {
        case .pass: return try await inner.commit(c)
        case .commitThenTimeout:
            _ = try await inner.commit(c)
            throw StoreError.timeout("injected: committed, then no answer")
        case .timeoutWithoutCommit:
            throw StoreError.timeout("injected: no answer, nothing committed")
        }
    }

    func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome { try await inner.commit(c) }
    func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int {
        try await inner.append(event: kind, record: record, at: at)
    }
    func add(checkpoint: Envelope) async throws(StoreError) { try await inner.add(checkpoint: checkpoint) }
    func projectionRows() async throws(StoreError) -> [ProjectionRow] { try await inner.projectionRows() }
    func isHealthy() async -> Bool { await inner.isHealthy() }
    func close() async { await inner.close() }
    func size() async throws(StoreError) -> Int { try await inner.size() }
    func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] { try await inner.entries(from: seq, limit: limit) }
    func treeHashes(_ nodes: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] { try await inner.treeHashes(nodes) }
    func latestCheckpoint() async throws(StoreError) -> Envelope? { try await inner.latestCheckpoint() }
    func checkpoints() async throws(StoreError) -> [Envelope] { try await inner.checkpoints() }
    func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? { try await inner.lastEvent(kind) }
    func containsEvent(recordHash: String) async throws(StoreError) -> Bool { try await inner.containsEvent(recordHash: recordHash) }
    func execution(_ id: String) async throws(StoreError) -> StoredExecution? { try await inner.execution(id) }
    func consumer(of fingerprint: String) async throws(StoreError) -> String? { try await inner.consumer(of: fingerprint) }
    func pending(_ query: PendingQuery) async throws(StoreError) -> [StoredExecution] { try await inner.pending(query) }
    func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] { try await inner.expiring(at: time, limit: limit) }
    func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? { try await inner.idempotency(key) }
}
