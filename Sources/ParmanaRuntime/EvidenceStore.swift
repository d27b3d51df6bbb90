import ParmanaCore

/// What the store keeps about an execution.
public struct ExecutionRecord: Sendable {
    public var executionID: String
    public var fingerprint: String
    public var attestation: Envelope
    public var attestationHash: String
    public var state: ExecutionState
    public var override: Envelope?
    /// The audit `seq` of the execution entry.
    public var seq: Int
    public var overrideSeq: Int?

    public init(executionID: String, fingerprint: String, attestation: Envelope, attestationHash: String,
                state: ExecutionState, override: Envelope? = nil, seq: Int, overrideSeq: Int? = nil) {
        self.executionID = executionID
        self.fingerprint = fingerprint
        self.attestation = attestation
        self.attestationHash = attestationHash
        self.state = state
        self.override = override
        self.seq = seq
        self.overrideSeq = overrideSeq
    }

    /// `GET /v1/executions/{id}`: the attestation, current state, overrides and audit seq.
    public var json: JSONValue {
        var o = JSONObject([
            ("execution_id", .string(executionID)), ("execution_state", .string(state.rawValue)),
            ("execution_fingerprint", .string(fingerprint)), ("attestation", attestation.json),
            ("attestation_hash", .string(attestationHash)), ("seq", .number(Double(seq))),
        ])
        o["overrides"] = .array(override.map { [$0.json] } ?? [])
        o["override_seq"] = overrideSeq.map { .number(Double($0)) } ?? .null
        return .object(o)
    }
}

/// An execution to record: consumed fingerprint, execution record and audit entry,
/// all or nothing.
public struct ExecutionCommit: Sendable {
    public var executionID: String
    public var fingerprint: String
    public var attestation: Envelope
    /// JCS of the attestation envelope (what is stored) and its hash (the record hash).
    public let attestationBytes: [UInt8]
    public let attestationHash: String
    public var state: ExecutionState
    public var at: Timestamp

    public init(executionID: String, fingerprint: String, attestation: Envelope, state: ExecutionState, at: Timestamp,
                canonicalBytes: [UInt8]? = nil) {
        self.executionID = executionID
        self.fingerprint = fingerprint
        self.attestation = attestation
        attestationBytes = canonicalBytes ?? CanonicalJSON.bytes(attestation.json)
        attestationHash = Hashing.sha256Hex(attestationBytes)
        self.state = state
        self.at = at
    }
}

public enum ExecutionCommitOutcome: Sendable, Equatable {
    /// Durable; the audit entry's seq.
    case committed(seq: Int)
    /// The fingerprint was already consumed by this execution.
    case replay(executionID: String)
}

/// An override to record against a pending execution.
public struct OverrideCommit: Sendable {
    public var executionID: String
    public var override: Envelope
    public var newState: ExecutionState
    public var at: Timestamp

    public init(executionID: String, override: Envelope, newState: ExecutionState, at: Timestamp) {
        self.executionID = executionID
        self.override = override
        self.newState = newState
        self.at = at
    }
}

public enum OverrideCommitOutcome: Sendable, Equatable {
    case committed(seq: Int)
    case notFound
    /// The execution is not (or no longer) pending.
    case notPending(ExecutionState)
}

/// The port for durable evidence: replay protection, execution records and the audit
/// log, with one atomic method per governance event. Backends: memory, SQLite.
public protocol EvidenceStore: Sendable {
    /// Atomically consumes the fingerprint (insert-if-absent), records the execution
    /// and appends its audit entry. Returns only once durable.
    func commit(_ c: ExecutionCommit) async throws(ParmanaError) -> ExecutionCommitOutcome
    /// Atomically records an override (once per execution), updates the state and
    /// appends its audit entry.
    func commit(_ c: OverrideCommit) async throws(ParmanaError) -> OverrideCommitOutcome
    /// Appends a `policy_loaded` or `runtime_started` event.
    func append(kind: AuditKind, record: JSONValue, at: Timestamp) async throws(ParmanaError) -> Int

    func execution(_ id: String) async throws(ParmanaError) -> ExecutionRecord?
    /// The execution that consumed `fingerprint`, if any.
    func consumer(of fingerprint: String) async throws(ParmanaError) -> String?
    /// Pending executions in execution-id order after `after`.
    func pending(limit: Int, after: String?) async throws(ParmanaError) -> [ExecutionRecord]

    /// Entries `from...` (seq, 1-based), at most `limit`.
    func entries(from seq: Int, limit: Int) async throws(ParmanaError) -> [AuditRecord]
    func size() async throws(ParmanaError) -> Int
    /// The last entry of a kind, if any.
    func lastEntry(of kind: AuditKind) async throws(ParmanaError) -> AuditRecord?

    /// Whether a `policy_loaded` or `runtime_started` entry with this record hash exists
    /// (a policy or manifest already logged).
    func contains(recordHash: String) async throws(ParmanaError) -> Bool

    func add(checkpoint: Envelope) async throws(ParmanaError)
    func checkpoints() async throws(ParmanaError) -> [Envelope]

    /// Whether the store can serve (readiness).
    func isHealthy() async -> Bool
    /// Flushes and closes.
    func close() async
}

extension EvidenceStore {
    /// Every entry, in order.
    public func allEntries() async throws(ParmanaError) -> [AuditRecord] {
        var out: [AuditRecord] = []
        var next = 1
        while true {
            let page = try await entries(from: next, limit: 10_000)
            out += page
            if page.count < 10_000 { return out }
            next += page.count
        }
    }
}

/// The replay-protection port on its own (for deployments where replay and audit live
/// in different systems): one atomic insert-if-absent, never check-then-set.
public protocol ReplayStore: Sendable {
    func consume(_ fingerprint: String, executionID: String, at: Timestamp) async throws(ParmanaError) -> ReplayOutcome
}

public enum ReplayOutcome: Sendable, Equatable {
    case consumed
    case replay(executionID: String)
}
