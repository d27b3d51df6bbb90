/// What a store serves beside the log, rebuilt from the log (SPEC §16.3): every
/// consumed fingerprint, every execution's state and resolutions, the pending queue.
/// `audit verify` compares it with the store's rows (``ProjectionRow``); any difference
/// is `projection_mismatch`, naming the execution id and the first `seq` involved.
public struct LogProjection: Sendable {
    /// Each execution's lifecycle as of the end of the log, by id.
    public private(set) var executions: [String: ExecutionLifecycle] = [:]
    /// Execution ids in log order.
    public private(set) var order: [String] = []
    /// Interior Merkle nodes (level ≥ ``MerkleProofs/lowestStoredInteriorLevel``) as the
    /// log implies them: what a store's tree must hold.
    public internal(set) var treeNodes: [MerkleNodeID: Merkle.Hash] = [:]

    /// Compares a store's tree hashes (for the nodes of ``treeNodes``) with the log.
    public func compare(treeHashes stored: [MerkleNodeID: [UInt8]]) -> [AuditLogVerifier.Problem] {
        var problems: [AuditLogVerifier.Problem] = []
        for (id, hash) in treeNodes.sorted(by: { $0.key < $1.key }) where stored[id] != hash {
            let seq = id.leaves.upperBound
            problems.append(AuditLogVerifier.Problem(seq: seq, code: .projectionMismatch,
                                                     message: stored[id] == nil ? "the store lacks Merkle node \(id), covering seqs \(id.leaves.lowerBound + 1)…\(seq)"
                                                         : "the store's Merkle node \(id) is not the hash of seqs \(id.leaves.lowerBound + 1)…\(seq): proofs from it would not verify"))
        }
        return problems
    }

    public init() {}

    mutating func record(_ life: ExecutionLifecycle) {
        if executions.updateValue(life, forKey: life.executionID) == nil { order.append(life.executionID) }
    }

    /// Compares the store's rows with the log. Each row is checked against what the log
    /// implies; then every execution the log implies must have had its rows.
    public func compare(_ rows: [ProjectionRow]) -> [AuditLogVerifier.Problem] {
        var problems: [AuditLogVerifier.Problem] = []
        func mismatch(_ id: String?, _ seq: Int, _ message: String) {
            problems.append(AuditLogVerifier.Problem(seq: seq, code: .projectionMismatch, message: message, executionID: id))
        }
        var replaySeen: Set<String> = [], executionSeen: Set<String> = [], pendingSeen: Set<String> = []
        var byFingerprint: [String: ExecutionLifecycle] = [:]
        for life in executions.values { byFingerprint[life.fingerprint] = life }
        for row in rows {
            switch row {
            case .replay(let fingerprint, let seq):
                guard let life = byFingerprint[fingerprint] else {
                    mismatch(nil, seq, "the replay store holds fingerprint \(fingerprint), which no execution in the log consumed")
                    continue
                }
                replaySeen.insert(life.executionID)
                if life.seq != seq {
                    mismatch(life.executionID, min(seq, life.seq), "the replay record of fingerprint \(fingerprint) points at seq \(seq), but execution \(life.executionID) is at seq \(life.seq)")
                }
            case .execution(let id, let seq, let state, let resolutions):
                guard let life = executions[id] else {
                    mismatch(id, seq, "the store serves execution \(id), which is not in the log")
                    continue
                }
                executionSeen.insert(id)
                if life.seq != seq {
                    mismatch(id, min(seq, life.seq), "the store places execution \(id) at seq \(seq); the log has it at seq \(life.seq)")
                } else if life.state != state {
                    mismatch(id, life.resolutionSeqs.last ?? life.seq, "the store serves execution \(id) as \(state.rawValue); the log makes it \(life.state.rawValue)")
                } else if life.resolutionSeqs != resolutions {
                    mismatch(id, (resolutions + life.resolutionSeqs).min() ?? life.seq, "the store lists resolutions at seqs \(resolutions) for execution \(id); the log has \(life.resolutionSeqs)")
                }
            case .pending(let id, let seq, let policyID, let expiresAt):
                guard let life = executions[id], life.state == .pendingOverride else {
                    mismatch(id, seq, "the pending queue holds execution \(id), which the log does not leave pending")
                    continue
                }
                pendingSeen.insert(id)
                if life.seq != seq {
                    mismatch(id, min(seq, life.seq), "the pending queue places execution \(id) at seq \(seq); the log has \(life.seq)")
                } else if !life.policyID.utf8.elementsEqual(policyID.utf8) {
                    mismatch(id, life.seq, "the pending queue files execution \(id) under policy \(policyID); its attestation says \(life.policyID)")
                } else if life.requirement?.expiresAt != expiresAt {
                    mismatch(id, life.seq, "the pending queue says execution \(id) expires at \(expiresAt?.description ?? "never"); its attestation says \(life.requirement?.expiresAt?.description ?? "never")")
                }
            case .retainedSignals(let id, let signals):
                guard let life = executions[id] else {
                    mismatch(id, 1, "retained signals for execution \(id), which is not in the log")
                    continue
                }
                if Hashing.sha256Hex(signals) != life.fingerprint {
                    mismatch(id, life.seq, "the retained signals of execution \(id) do not match its fingerprint")
                }
            case .idempotency(let key, let id, let requestHash):
                guard let life = executions[id] else {
                    mismatch(id, 1, "idempotency key \(key) names execution \(id), which is not in the log")
                    continue
                }
                if !IdempotencyRequest.matches(requestHash, policyID: life.policyID, version: life.policyVersion, fingerprint: life.fingerprint) {
                    mismatch(id, life.seq, "idempotency key \(key) answers with execution \(id), whose policy and fingerprint are not the key's request")
                }
            }
        }
        for id in order {
            let life = executions[id]!
            if !replaySeen.contains(id) { mismatch(id, life.seq, "fingerprint \(life.fingerprint) of execution \(id) has no replay record") }
            if !executionSeen.contains(id) { mismatch(id, life.seq, "the store does not serve execution \(id)") }
            if life.state == .pendingOverride, !pendingSeen.contains(id) {
                mismatch(id, life.seq, "execution \(id) is pending in the log but missing from the pending queue")
            }
        }
        return problems
    }
}

/// One row of what a store serves beside the log, as the store holds it.
public enum ProjectionRow: Sendable, Equatable {
    /// A consumed fingerprint and the seq of the execution entry that consumed it.
    case replay(fingerprint: String, seq: Int)
    /// An execution's state and the seqs of its accepted resolutions (overrides, expiry).
    case execution(id: String, seq: Int, state: ExecutionState, resolutionSeqs: [Int])
    /// An execution in the pending queue, with the policy and expiry it is filtered and
    /// swept by.
    case pending(id: String, seq: Int, policyID: String, expiresAt: Timestamp?)
    /// Retained signals (JCS bytes) of an execution (SPEC §19.4).
    case retainedSignals(id: String, signals: [UInt8])
    /// An idempotency key, the execution it answers with and the request hash (SPEC §18).
    case idempotency(key: String, executionID: String, requestHash: String)
}
