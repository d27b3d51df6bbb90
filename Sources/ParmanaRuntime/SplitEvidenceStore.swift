import ParmanaCore
import Synchronization

/// Topology A (SPEC §17.1, §18): this node's own evidence log (`local`, e.g. SQLite) and a
/// replay store shared by every node (`replay`, e.g. Redis), composed into one
/// ``EvidenceStore``. It knows only the two ports.
///
/// ``commit(_:)-(ExecutionCommit)`` claims the fingerprint in the replay store first —
/// atomically with the idempotency key, if any — and only then commits locally:
/// - claimed by anyone (this node or another) → ``ExecutionCommitOutcome/replay(executionID:)``
///   naming the winner; key already bound → ``ExecutionCommitOutcome/idempotencyKeyBound(_:)``;
/// - local commit durable → the claim is settled (best effort: a failed settle leaves it
///   in flight, for reconciliation). With an idempotency key the settle completes the key
///   with the attestation before the decision returns (a retry on any node then gets
///   these bytes); without one the claim is queued and settled in the background, many
///   per write (``ClaimSettler``; ``settled()`` waits for it);
/// - local commit definitely failed (``StoreError/outcomeIsUnknown`` false) → the claim
///   is released (only while it still holds this node's token), then the error rethrown;
/// - local outcome unknown → the claim is marked in doubt, then the error rethrown.
///
/// A claim whose outcome is unknown (the replay store timed out) is marked in doubt in
/// the background, so that a decision fails within `store_timeout_ms`.
/// ``reconcile(includeInFlight:)`` resolves this node's in-doubt claims from its own log.
/// Everything else is the local store's.
public final class SplitEvidenceStore: EvidenceStore {
    public let local: any EvidenceStore
    public let replay: any ReplayStore
    /// The node whose claims this store makes and reconciles.
    public let nodeID: String

    private let settler: ClaimSettler
    /// Claims this process is deciding now: from before the claim until the local commit
    /// has answered. Reconciliation leaves them alone.
    private let deciding = Mutex<Set<ReplayClaim>>([])

    public init(local: any EvidenceStore, replay: any ReplayStore, nodeID: String) {
        self.local = local
        self.replay = replay
        self.nodeID = nodeID
        settler = ClaimSettler(replay: replay)
    }

    /// Returns once every claim queued for settling in the background was written (or its
    /// write failed, leaving it in flight for reconciliation).
    public func settled() async {
        await settler.flush()
    }

    // MARK: commits

    public func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        let claim = ReplayClaim(fingerprint: c.fingerprint, nodeID: nodeID, executionID: c.executionID)
        deciding.withLock { _ = $0.insert(claim) }
        defer { deciding.withLock { _ = $0.remove(claim) } }
        let claimed: ReplayOutcome
        do {
            claimed = try await replay.consume(claim, idempotency: c.idempotency)
        } catch {
            if error.outcomeIsUnknown {
                // The claim may exist (in flight). List it for reconciliation without
                // holding the caller past the store timeout.
                let replay = self.replay
                Task.detached { try? await replay.markInDoubt(claim) }
            }
            throw error
        }
        switch claimed {
        case .replay(let executionID, _): return .replay(executionID: executionID)
        case .idempotencyKeyBound(let record): return .idempotencyKeyBound(record)
        case .consumed: break
        }
        let outcome: ExecutionCommitOutcome
        do {
            outcome = try await local.commit(c)
        } catch {
            if error.outcomeIsUnknown {
                try? await replay.markInDoubt(claim)
            } else {
                try? await replay.release(claim)
            }
            throw error
        }
        switch outcome {
        case .committed:
            if c.idempotency == nil {
                settler.enqueue(claim)
            } else {
                try? await replay.settle(claim, attestation: c.attestationBytes)
            }
        case .replay:
            // This log already executed the fingerprint (the replay store had lost its
            // claim). Keep the new claim: a fingerprint executed in a log is never freed.
            settler.enqueue(claim)
        case .idempotencyKeyBound:
            // Nothing was committed locally: the claim was made for nothing.
            try? await replay.release(claim)
        }
        return outcome
    }

    public func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome {
        try await local.commit(c)
    }

    public func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int {
        try await local.append(event: kind, record: record, at: at)
    }

    public func add(checkpoint: Envelope) async throws(StoreError) {
        try await local.add(checkpoint: checkpoint)
    }

    // MARK: reconciliation

    /// What ``reconcile(includeInFlight:)`` did.
    public struct Reconciliation: Sendable, Equatable {
        /// Claims whose fingerprint is executed in this node's log: settled, kept forever.
        public var kept: [ReplayClaim] = []
        /// Claims whose execution is not in this node's log: released.
        public var released: [ReplayClaim] = []

        public init(kept: [ReplayClaim] = [], released: [ReplayClaim] = []) {
            self.kept = kept
            self.released = released
        }

        public var json: JSONValue {
            func list(_ claims: [ReplayClaim]) -> JSONValue {
                .array(claims.map { ["execution_fingerprint": .string($0.fingerprint), "execution_id": .string($0.executionID),
                                     "node_id": .string($0.nodeID)] })
            }
            return ["kept": list(kept), "released": list(released)]
        }
    }

    /// Resolves this node's in-doubt claims (plus its in-flight ones with
    /// `includeInFlight`, only safe while the node is not deciding) from its own log
    /// (SPEC §17.1), as ``reconcile(_:)`` does.
    public func reconcile(includeInFlight: Bool) async throws(StoreError) -> Reconciliation {
        await settler.flush()
        return try await reconcile(try await replay.inDoubt(node: nodeID, includeInFlight: includeInFlight))
    }

    /// Resolves `claims` (this node's, as ``ReplayStore/inDoubt(node:includeInFlight:)``
    /// lists them) from its own log, in fingerprint order: a fingerprint executed in the log
    /// keeps its claim (settled, and an idempotency key bound with it completed with the
    /// attestation); a claim whose execution is not in the log is released. A claim whose
    /// execution is in a log is never released; a claim this process is deciding at the
    /// moment is left alone.
    public func reconcile(_ claims: some Collection<ReplayClaim>) async throws(StoreError) -> Reconciliation {
        await settler.flush()
        var result = Reconciliation()
        for claim in claims.sorted(by: { $0.fingerprint < $1.fingerprint }) where !deciding.withLock({ $0.contains(claim) }) {
            if let consumer = try await local.consumer(of: claim.fingerprint) {
                let attestation = consumer == claim.executionID ? try await local.execution(consumer)?.attestation.recordBytes : nil
                try await replay.settle(claim, attestation: attestation)
                result.kept.append(claim)
            } else if let stored = try await local.execution(claim.executionID) {
                try await replay.settle(claim, attestation: stored.attestation.recordBytes)
                result.kept.append(claim)
            } else {
                try await replay.release(claim)
                result.released.append(claim)
            }
        }
        return result
    }

    // MARK: reads

    public func size() async throws(StoreError) -> Int { try await local.size() }

    public func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] {
        try await local.entries(from: seq, limit: limit)
    }

    public func treeHashes(_ nodes: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] {
        try await local.treeHashes(nodes)
    }

    public func latestCheckpoint() async throws(StoreError) -> Envelope? { try await local.latestCheckpoint() }
    public func checkpoints() async throws(StoreError) -> [Envelope] { try await local.checkpoints() }
    public func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? { try await local.lastEvent(kind) }

    public func containsEvent(recordHash: String) async throws(StoreError) -> Bool {
        try await local.containsEvent(recordHash: recordHash)
    }

    public func execution(_ id: String) async throws(StoreError) -> StoredExecution? { try await local.execution(id) }
    public func consumer(of fingerprint: String) async throws(StoreError) -> String? { try await local.consumer(of: fingerprint) }
    public func pending(_ query: PendingQuery) async throws(StoreError) -> [StoredExecution] { try await local.pending(query) }

    public func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] {
        try await local.expiring(at: time, limit: limit)
    }

    /// The key as the cluster knows it (the replay store). A key this node is still
    /// shown deciding, but whose execution its own log already has (a settle that
    /// failed), is answered from the log. A key the replay store does not know is looked
    /// up locally.
    public func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? {
        guard let shared = try await replay.idempotency(key) else { return try await local.idempotency(key) }
        if shared.inProgress, shared.nodeID == nodeID, let own = try await local.idempotency(key), own.executionID == shared.executionID {
            return own
        }
        return shared
    }

    public func projectionRows() async throws(StoreError) -> [ProjectionRow] { try await local.projectionRows() }

    // MARK: lifecycle

    public func isHealthy() async -> Bool {
        await health().allSatisfy(\.healthy)
    }

    /// `evidence` (this node's log) and `replay` (the shared replay store).
    public func health() async -> [StoreHealth] {
        async let l = local.isHealthy()
        async let r = replay.isHealthy()
        let (evidence, shared) = await (l, r)
        return [StoreHealth(name: "evidence", healthy: evidence), StoreHealth(name: "replay", healthy: shared)]
    }

    /// Writes the queued settles, then closes both stores.
    public func close() async {
        await settler.flush()
        await local.close()
        await replay.close()
    }
}
