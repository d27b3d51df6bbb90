import ParmanaCore

// The store ports (SPEC §7, §11, §16, §17). Small protocols, one contract each, so that
// a back end implements what it is (a log, a ledger, a replay store) and passes that
// port's conformance suite in ParmanaTesting. Logic shared by back ends (the chain
// append, the Merkle frontier, the execution lifecycle) lives in ParmanaCore; adapters
// only store and fetch. Every method fails with ``StoreError``, which is mapped to
// SPEC §13 in one place (``ParmanaError/init(_:)``).

/// The read side of an audit log.
///
/// Contract: entries are numbered from 1 without gaps; what a reader returns was
/// durable when returned; every read is O(returned rows) (a proof reads O(log n)
/// nodes through ``treeHashes(_:)``) — only a full verify or export reads everything.
public protocol AuditLogReader: Sendable {
    /// Number of entries.
    func size() async throws(StoreError) -> Int
    /// Entries with their records, seq `from...` in order, at most `limit`.
    func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord]
    /// Stored tree hashes: for a level-0 node the **entry hash** of leaf `index` (seq
    /// `index + 1`), above that the complete subtree's hash. Every requested node that
    /// exists must be returned; nodes beyond the log are absent.
    func treeHashes(_ nodes: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]]
    /// The newest stored checkpoint (largest size), or nil.
    func latestCheckpoint() async throws(StoreError) -> Envelope?
    /// Every checkpoint, oldest first.
    func checkpoints() async throws(StoreError) -> [Envelope]
    /// The last `runtime_started` or `policy_loaded` event, or nil.
    func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord?
    /// Whether a `policy_loaded` or `runtime_started` event with this record hash exists.
    func containsEvent(recordHash: String) async throws(StoreError) -> Bool
}

/// One execution as the store holds it: the execution entry's record, its accepted
/// resolutions (override and expiry entries, in order), the state the store serves,
/// and retained signals (SPEC §19.4). Everything but `state` and `retainedSignals` is
/// the log itself; ``Runtime`` rebuilds the state from the records and refuses to
/// serve a stored state that disagrees (`projection_mismatch`).
public struct StoredExecution: Sendable {
    public var executionID: String
    public var seq: Int
    public var state: ExecutionState
    public var attestation: AuditRecord
    public var resolutions: [AuditRecord]
    public var retainedSignals: [UInt8]?

    public init(executionID: String, seq: Int, state: ExecutionState, attestation: AuditRecord, resolutions: [AuditRecord],
                retainedSignals: [UInt8]?) {
        self.executionID = executionID
        self.seq = seq
        self.state = state
        self.attestation = attestation
        self.resolutions = resolutions
        self.retainedSignals = retainedSignals
    }
}

/// Which pending executions to list: oldest first (by seq), optionally one policy.
public struct PendingQuery: Sendable {
    public var policyID: String?
    /// Only executions after this seq.
    public var afterSeq: Int
    public var limit: Int

    public init(policyID: String? = nil, afterSeq: Int = 0, limit: Int = 100) {
        self.policyID = policyID
        self.afterSeq = afterSeq
        self.limit = limit
    }
}

/// What an idempotency key answers with (SPEC §18).
///
/// An evidence store keeps the key with its execution (`attestation` nil: the answer is
/// rebuilt from the log). A shared replay store (topology A, SPEC §17.1) keeps it across
/// nodes: while the first request is being decided it is `inProgress` (a retry is
/// `request_in_progress`); once the deciding node's log has the execution it carries the
/// JCS bytes of the attestation envelope, so any node answers with the original body.
public struct IdempotencyRecord: Sendable, Equatable {
    public var key: String
    /// SHA-256 of the request's identity (policy id, pinned version, fingerprint, explain).
    public var requestHash: String
    public var executionID: String
    /// JCS of the attestation envelope, when the record came from a shared replay store
    /// and the deciding node's log has the execution.
    public var attestation: [UInt8]?
    /// The first request with this key is still being decided (by `nodeID`).
    public var inProgress: Bool
    /// The node that decided (or is deciding) the request, when known.
    public var nodeID: String?

    public init(key: String, requestHash: String, executionID: String, attestation: [UInt8]? = nil, inProgress: Bool = false,
                nodeID: String? = nil) {
        self.key = key
        self.requestHash = requestHash
        self.executionID = executionID
        self.attestation = attestation
        self.inProgress = inProgress
        self.nodeID = nodeID
    }
}

/// The execution ledger: executions by id, the pending queue, expiries due.
///
/// Contract: every execution in the log is served; `pending` lists exactly the
/// `pending_override` executions, oldest first; nothing here is written except through
/// the ``EvidenceStore`` commits.
public protocol ExecutionLedger: Sendable {
    func execution(_ id: String) async throws(StoreError) -> StoredExecution?
    /// The execution that consumed `fingerprint`, if any.
    func consumer(of fingerprint: String) async throws(StoreError) -> String?
    func pending(_ query: PendingQuery) async throws(StoreError) -> [StoredExecution]
    /// Pending executions whose `expires_at` is at or before `time`, oldest first.
    func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String]
    func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord?
}

/// An execution to record, all or nothing: consumed fingerprint, execution record,
/// audit entry, retained signals and idempotency key.
public struct ExecutionCommit: Sendable {
    public var executionID: String
    public var fingerprint: String
    /// JCS of the attestation envelope (what is stored) and its hash (the record hash).
    public var attestationBytes: [UInt8]
    public var attestationHash: String
    public var state: ExecutionState
    public var policyID: String
    public var expiresAt: Timestamp?
    public var at: Timestamp
    /// JCS of the signals, kept for approvers when `retain_signals` asks (SPEC §19.4).
    public var retainedSignals: [UInt8]?
    public var idempotency: IdempotencyRecord?

    public init(executionID: String, fingerprint: String, attestationBytes: [UInt8], state: ExecutionState, policyID: String,
                expiresAt: Timestamp? = nil, at: Timestamp, retainedSignals: [UInt8]? = nil, idempotency: IdempotencyRecord? = nil) {
        self.executionID = executionID
        self.fingerprint = fingerprint
        self.attestationBytes = attestationBytes
        attestationHash = Hashing.sha256Hex(attestationBytes)
        self.state = state
        self.policyID = policyID
        self.expiresAt = expiresAt
        self.at = at
        self.retainedSignals = retainedSignals
        self.idempotency = idempotency
    }
}

public enum ExecutionCommitOutcome: Sendable, Equatable {
    /// Durable; the audit entry's seq.
    case committed(seq: Int)
    /// The fingerprint was already consumed by this execution.
    case replay(executionID: String)
    /// The idempotency key is already bound: to this execution with this request hash.
    case idempotencyKeyBound(IdempotencyRecord)
}

/// An accepted override, or the runtime's expiry, of a pending execution.
public struct ResolutionCommit: Sendable {
    public var executionID: String
    public var kind: AuditKind
    public var recordBytes: [UInt8]
    /// The number of resolutions the runtime's decision was based on. The store commits
    /// only if it still has exactly that many (else ``ResolutionCommitOutcome/stale``).
    public var basedOnResolutions: Int
    public var newState: ExecutionState
    public var at: Timestamp
    /// Drop retained signals in the same transaction (`retain_signals: pending`).
    public var dropRetainedSignals: Bool

    public init(executionID: String, kind: AuditKind, recordBytes: [UInt8], basedOnResolutions: Int, newState: ExecutionState,
                at: Timestamp, dropRetainedSignals: Bool) {
        self.executionID = executionID
        self.kind = kind
        self.recordBytes = recordBytes
        self.basedOnResolutions = basedOnResolutions
        self.newState = newState
        self.at = at
        self.dropRetainedSignals = dropRetainedSignals
    }
}

public enum ResolutionCommitOutcome: Sendable, Equatable {
    case committed(seq: Int)
    case notFound
    /// Another resolution was committed since the runtime read the execution.
    case stale
}

/// The evidence store: the atomic union of log, ledger and replay protection for
/// back ends where they are one system (memory, SQLite, PostgreSQL).
///
/// Contract: each commit is one transaction — the chain head is read inside it (never
/// from a cache another process could make stale, ``AuditChain``), and it returns only
/// once durable. A fingerprint is consumed at most once (insert-if-absent); 64
/// concurrent commits of one fingerprint give exactly one winner. A failure throws and
/// leaves nothing behind.
public protocol EvidenceStore: AuditLogReader, ExecutionLedger {
    func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome
    func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome
    /// Appends a `policy_loaded` or `runtime_started` event; returns its seq.
    func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int
    /// Stores a signed checkpoint (of a size the log has reached).
    func add(checkpoint: Envelope) async throws(StoreError)
    /// Every row the store serves beside the log (SPEC §16.3), for `audit verify`.
    func projectionRows() async throws(StoreError) -> [ProjectionRow]
    /// Whether the store can serve (readiness).
    func isHealthy() async -> Bool
    /// Readiness of each store behind this one, for `/readyz` (SPEC §17.4).
    func health() async -> [StoreHealth]
    /// Flushes and closes. Called by the composition root only.
    func close() async
}

extension EvidenceStore {
    /// One entry: this store, named `evidence`.
    public func health() async -> [StoreHealth] { [StoreHealth(name: "evidence", healthy: await isHealthy())] }
}

extension AuditLogReader {
    /// Every entry, in order (full verification and export only).
    public func allEntries() async throws(StoreError) -> [AuditRecord] {
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

/// A claim on a fingerprint in a shared replay store (SPEC §17.1): the claim token
/// names the node and the execution.
public struct ReplayClaim: Sendable, Hashable {
    public var fingerprint: String
    public var nodeID: String
    public var executionID: String

    public init(fingerprint: String, nodeID: String, executionID: String) {
        self.fingerprint = fingerprint
        self.nodeID = nodeID
        self.executionID = executionID
    }

    /// The stored value: `node_id/execution_id`.
    public var token: String { nodeID + "/" + executionID }

    public init?(fingerprint: String, token: String) {
        guard let slash = token.lastIndex(of: "/") else { return nil }
        self.init(fingerprint: fingerprint, nodeID: String(token[..<slash]), executionID: String(token[token.index(after: slash)...]))
    }
}

public enum ReplayOutcome: Sendable, Equatable {
    case consumed
    /// Already claimed; the claim token names the execution (and node).
    case replay(executionID: String, nodeID: String)
    /// The idempotency key given with the claim is already bound (SPEC §18): nothing was
    /// claimed. The record may be in progress (another request is being decided).
    case idempotencyKeyBound(IdempotencyRecord)
}

/// The replay-protection port on its own, for deployments where replay and the log
/// live in different systems (topology A: Redis + each node's SQLite; SPEC §17.1, §18).
///
/// Contract: ``consume(_:idempotency:)`` is one atomic operation: if an idempotency key
/// is given and already bound, it returns that record and claims nothing; else if the
/// fingerprint is claimed it returns the claim's execution and node; else it inserts the
/// claim (value: the claim token, never expiring), lists it as in flight for its node
/// and, with a key, binds the key to the claim in progress. ``release(_:)`` deletes a
/// claim only while it still holds the same token (and unbinds a key bound with it).
/// ``settle(_:attestation:)`` removes it from the node's in-flight and in-doubt lists
/// once the local commit is durable, keeping the claim; with the attestation's JCS bytes
/// it completes a key bound with it; ``settle(_:)`` does the same for many claims without
/// keys to complete, in one write. ``markInDoubt(_:)`` lists it for reconciliation
/// when the local outcome is unknown. ``inDoubt(node:includeInFlight:)`` returns the
/// node's in-doubt claims plus — when `includeInFlight` (only safe while the node is not
/// running) — its in-flight ones. Every method fails with ``StoreError`` only; a timeout
/// is ``StoreError/timeout(_:)`` (outcome unknown).
public protocol ReplayStore: Sendable {
    func consume(_ claim: ReplayClaim, idempotency: IdempotencyRecord?) async throws(StoreError) -> ReplayOutcome
    func release(_ claim: ReplayClaim) async throws(StoreError)
    func settle(_ claim: ReplayClaim, attestation: [UInt8]?) async throws(StoreError)
    /// Settles every claim of `claims` without an attestation, in one write (e.g. one
    /// pipelined round trip): what a node does for a burst of committed decisions.
    func settle(_ claims: [ReplayClaim]) async throws(StoreError)
    func markInDoubt(_ claim: ReplayClaim) async throws(StoreError)
    func inDoubt(node: String, includeInFlight: Bool) async throws(StoreError) -> [ReplayClaim]
    /// The claim on a fingerprint, if any.
    func claim(of fingerprint: String) async throws(StoreError) -> ReplayClaim?
    /// The record bound to an idempotency key, if any (SPEC §18).
    func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord?
    func isHealthy() async -> Bool
    func close() async
}

extension ReplayStore {
    /// A claim without an idempotency key.
    public func consume(_ claim: ReplayClaim) async throws(StoreError) -> ReplayOutcome {
        try await consume(claim, idempotency: nil)
    }

    /// Settles a claim without completing an idempotency key.
    public func settle(_ claim: ReplayClaim) async throws(StoreError) {
        try await settle(claim, attestation: nil)
    }
}
