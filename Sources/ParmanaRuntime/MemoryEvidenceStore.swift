import ParmanaCore
import Synchronization

/// An in-memory ``EvidenceStore``: exact semantics, no durability. For tests, dry runs
/// and benchmarks. A failure can be injected to test fail-closed behaviour.
public final class MemoryEvidenceStore: EvidenceStore {
    /// A record as it arrived; an envelope's JSON is built only when read.
    enum Record {
        case envelope(Envelope)
        case json(JSONValue)
    }

    /// An entry with its record.
    struct Stored {
        var entry: AuditEntry
        var record: Record

        var auditRecord: AuditRecord {
            switch record {
            case .envelope(let e): AuditRecord(entry: entry, record: e.json)
            case .json(let j): AuditRecord(entry: entry, record: j)
            }
        }
    }

    struct State {
        var entries: [Stored] = []
        var lastHash: String?
        var executions: [String: ExecutionRecord] = [:]
        var consumed: [String: String] = [:]
        var checkpoints: [Envelope] = []
        var failing = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Makes every write fail with `store_unavailable` (tests).
    public func setFailing(_ on: Bool) { state.withLock { $0.failing = on } }

    private static func appendEntry(_ s: inout State, kind: AuditKind, executionID: String?, fingerprint: String?,
                                    record: Record, recordHash: String, at: Timestamp) -> Int {
        let prev = s.entries.last.map { (seq: $0.entry.seq, entryHash: s.lastHash!) }
        let e = AuditEntry.next(after: prev, kind: kind, executionID: executionID, executionFingerprint: fingerprint,
                                recordHash: recordHash, at: at)
        s.entries.append(Stored(entry: e, record: record))
        s.lastHash = e.entryHash
        return e.seq
    }

    public func commit(_ c: ExecutionCommit) async throws(ParmanaError) -> ExecutionCommitOutcome {
        try state.withLock { (s) throws(ParmanaError) -> ExecutionCommitOutcome in
            if s.failing { throw ParmanaError(.storeUnavailable, "the store is unavailable") }
            if let existing = s.consumed[c.fingerprint] { return .replay(executionID: existing) }
            s.consumed[c.fingerprint] = c.executionID
            let seq = MemoryEvidenceStore.appendEntry(&s, kind: .execution, executionID: c.executionID, fingerprint: c.fingerprint,
                                                      record: .envelope(c.attestation), recordHash: c.attestationHash, at: c.at)
            s.executions[c.executionID] = ExecutionRecord(
                executionID: c.executionID, fingerprint: c.fingerprint, attestation: c.attestation,
                attestationHash: c.attestationHash, state: c.state, seq: seq)
            return .committed(seq: seq)
        }
    }

    public func commit(_ c: OverrideCommit) async throws(ParmanaError) -> OverrideCommitOutcome {
        try state.withLock { (s) throws(ParmanaError) -> OverrideCommitOutcome in
            if s.failing { throw ParmanaError(.storeUnavailable, "the store is unavailable") }
            guard var e = s.executions[c.executionID] else { return .notFound }
            guard e.state == .pendingOverride else { return .notPending(e.state) }
            let seq = MemoryEvidenceStore.appendEntry(&s, kind: .override, executionID: c.executionID, fingerprint: e.fingerprint,
                                                      record: .envelope(c.override), recordHash: c.override.hash, at: c.at)
            e.state = c.newState
            e.override = c.override
            e.overrideSeq = seq
            s.executions[c.executionID] = e
            return .committed(seq: seq)
        }
    }

    public func append(kind: AuditKind, record: JSONValue, at: Timestamp) async throws(ParmanaError) -> Int {
        try state.withLock { (s) throws(ParmanaError) -> Int in
            if s.failing { throw ParmanaError(.storeUnavailable, "the store is unavailable") }
            return MemoryEvidenceStore.appendEntry(&s, kind: kind, executionID: nil, fingerprint: nil, record: .json(record),
                                                   recordHash: Hashing.canonicalHash(record), at: at)
        }
    }

    public func execution(_ id: String) async throws(ParmanaError) -> ExecutionRecord? {
        state.withLock { $0.executions[id] }
    }

    public func consumer(of fingerprint: String) async throws(ParmanaError) -> String? {
        state.withLock { $0.consumed[fingerprint] }
    }

    public func pending(limit: Int, after: String?) async throws(ParmanaError) -> [ExecutionRecord] {
        state.withLock { s in
            Array(s.executions.values.filter { $0.state == .pendingOverride && (after == nil || $0.executionID > after!) }
                .sorted { $0.executionID < $1.executionID }.prefix(limit))
        }
    }

    public func entries(from seq: Int, limit: Int) async throws(ParmanaError) -> [AuditRecord] {
        state.withLock { s in
            let start = max(0, seq - 1)
            guard start < s.entries.count else { return [] }
            return s.entries[start..<min(s.entries.count, start + limit)].map(\.auditRecord)
        }
    }

    public func size() async throws(ParmanaError) -> Int { state.withLock { $0.entries.count } }

    public func lastEntry(of kind: AuditKind) async throws(ParmanaError) -> AuditRecord? {
        state.withLock { $0.entries.last { $0.entry.kind == kind }?.auditRecord }
    }

    public func contains(recordHash: String) async throws(ParmanaError) -> Bool {
        state.withLock { $0.entries.contains { ($0.entry.kind == .policyLoaded || $0.entry.kind == .runtimeStarted) && $0.entry.recordHash == recordHash } }
    }

    public func add(checkpoint: Envelope) async throws(ParmanaError) {
        try state.withLock { (s) throws(ParmanaError) in
            if s.failing { throw ParmanaError(.storeUnavailable, "the store is unavailable") }
            s.checkpoints.append(checkpoint)
        }
    }

    public func checkpoints() async throws(ParmanaError) -> [Envelope] { state.withLock { $0.checkpoints } }

    public func isHealthy() async -> Bool { state.withLock { !$0.failing } }

    public func close() async {}
}

/// An in-memory ``ReplayStore``.
public final class MemoryReplayStore: ReplayStore {
    private let consumed = Mutex([String: String]())
    public init() {}

    public func consume(_ fingerprint: String, executionID: String, at: Timestamp) async throws(ParmanaError) -> ReplayOutcome {
        consumed.withLock { c in
            if let existing = c[fingerprint] { return .replay(executionID: existing) }
            c[fingerprint] = executionID
            return .consumed
        }
    }
}
