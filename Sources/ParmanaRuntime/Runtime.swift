import ParmanaCore
import Synchronization

/// Everything a runtime needs, passed in as values.
public struct RuntimeConfiguration: Sendable {
    public var store: any EvidenceStore
    public var trust: TrustStore
    /// Signs attestations (an `attestation` key).
    public var signer: any Signer
    /// Signs checkpoints (a `checkpoint` key); nil if this runtime does not sign them.
    public var checkpointSigner: (any Signer)?
    public var clock: any Clock
    public var ids: any ExecutionIDs
    /// This binary's signed runtime manifest (SPEC §9).
    public var manifest: Envelope
    public var parser: JSONParser
    public var logID: String

    public init(store: any EvidenceStore, trust: TrustStore, signer: any Signer, checkpointSigner: (any Signer)? = nil,
                clock: any Clock = SystemClock(), ids: any ExecutionIDs = RandomExecutionIDs(), manifest: Envelope,
                parser: JSONParser = JSONParser(), logID: String = "parmana") {
        self.store = store
        self.trust = trust
        self.signer = signer
        self.checkpointSigner = checkpointSigner
        self.clock = clock
        self.ids = ids
        self.manifest = manifest
        self.parser = parser
        self.logID = logID
    }
}

/// The result of a governed decision (the 201 body of `POST /v1/decisions`).
public struct DecisionResult: Sendable {
    public var executionID: String
    public var state: ExecutionState
    public var attestation: Envelope
    public var decision: Decision
    public var explanation: Explanation?
    public var seq: Int

    public var json: JSONValue {
        var o = JSONObject([
            ("execution_id", .string(executionID)), ("execution_state", .string(state.rawValue)),
            ("attestation", attestation.json),
        ])
        o["explanation"] = explanation?.json ?? .null
        return .object(o)
    }
}

/// The result of an accepted override.
public struct OverrideResult: Sendable {
    public var executionID: String
    public var state: ExecutionState
    public var seq: Int

    public var json: JSONValue {
        ["execution_id": .string(executionID), "execution_state": .string(state.rawValue), "seq": .number(Double(seq))]
    }
}

/// The governance pipeline (SPEC §7, §8): decide, override, and the audit log's
/// checkpoints and proofs. Errors are typed; statuses and exit codes are mapped at the edge.
public final class Runtime: Sendable {
    public let config: RuntimeConfiguration
    private let registry: Mutex<PolicyRegistry>
    /// `runtime_hash` of this runtime's manifest (SPEC §9), pinned in every attestation.
    public let runtimeHash: String

    public init(_ config: RuntimeConfiguration, policies: PolicyRegistry = PolicyRegistry()) {
        self.config = config
        registry = Mutex(policies)
        runtimeHash = RuntimeManifest.identityHash(of: config.manifest.payload)
    }

    public var store: any EvidenceStore { config.store }

    /// Records `runtime_started` (when this runtime differs from the last one logged)
    /// and `policy_loaded` for every loaded policy not yet in the log.
    public func start() async throws(ParmanaError) {
        let last = try await store.lastEntry(of: .runtimeStarted)
        if last?.entry.recordHash != config.manifest.hash {
            _ = try await store.append(kind: .runtimeStarted, record: config.manifest.json, at: config.clock.now())
        }
        for p in registry.withLock({ $0.all }) {
            try await logPolicy(p)
        }
    }

    private func logPolicy(_ p: LoadedPolicy) async throws(ParmanaError) {
        guard let env = p.envelope, try await !store.contains(recordHash: env.hash) else { return }
        _ = try await store.append(kind: .policyLoaded, record: env.json, at: config.clock.now())
    }

    /// Loads a policy (immutable per (policy_id, version)) and logs it.
    public func load(_ p: LoadedPolicy) async throws(ParmanaError) {
        try registry.withLock { (r) throws(ParmanaError) in try r.add(p) }
        try await logPolicy(p)
    }

    public var policies: [LoadedPolicy] { registry.withLock { $0.all } }

    public func policy(_ id: String, version: String?) throws(ParmanaError) -> LoadedPolicy {
        try registry.withLock { (r) throws(ParmanaError) in try r.lookup(id, version: version) }
    }

    // MARK: decide

    /// A governed decision on raw signal bytes (SPEC §7.1): parse, canonicalize,
    /// fingerprint, validate, evaluate, consume, sign, log, return.
    public func decide(policyID: String, version: String? = nil, signals bytes: [UInt8], explain: Bool = false) async throws(ParmanaError) -> DecisionResult {
        try await decide(policyID: policyID, version: version, signals: try config.parser.parse(bytes), explain: explain)
    }

    /// A governed decision on parsed signals.
    public func decide(policyID: String, version: String? = nil, signals: JSONValue, explain: Bool = false) async throws(ParmanaError) -> DecisionResult {
        let fingerprint = Hashing.fingerprint(signals)
        let loaded = try policy(policyID, version: version)
        let decision: Decision
        var explanation: Explanation?
        if explain {
            let (d, e) = try loaded.compiled.explain(signals)
            decision = d
            explanation = e
        } else {
            decision = try loaded.compiled.evaluate(signals)
        }
        let executionID = config.ids.next()
        let state: ExecutionState = decision.requiresOverride ? .pendingOverride : .completed
        let now = config.clock.now()
        let payload = AttestationPayload(
            executionID: executionID, executionFingerprint: fingerprint, policy: loaded.policy.reference,
            decision: decision, executionState: state, runtimeHash: runtimeHash, issuedAt: now, keyID: config.signer.keyID)
        let payloadJSON = payload.json
        let payloadBytes = payload.canonicalBytes
        let signature: [UInt8]
        do {
            signature = try await config.signer.signature(for: payloadBytes)
        } catch {
            throw ParmanaError(.storeUnavailable, "the signer failed: \(error)")
        }
        let attestation = Envelope(payload: payloadJSON, signature: signature)
        let canonical = Envelope.canonicalBytes(payloadBytes: payloadBytes, signature: signature)
        switch try await store.commit(ExecutionCommit(executionID: executionID, fingerprint: fingerprint, attestation: attestation,
                                                     state: state, at: now, canonicalBytes: canonical)) {
        case .replay(let existing):
            // The signed attestation is discarded: it never leaves this process.
            throw Runtime.replay(fingerprint, existing)
        case .committed(let seq):
            return DecisionResult(executionID: executionID, state: state, attestation: attestation,
                                  decision: decision, explanation: explanation, seq: seq)
        }
    }

    static func replay(_ fingerprint: String, _ existing: String) -> ParmanaError {
        var e = ParmanaError(.replayDetected, "these signals (fingerprint \(fingerprint)) were already decided by execution \(existing); a retry is a new governance event with new signals")
        e.executionID = existing
        return e
    }

    // MARK: override

    /// The execution with this id, or `execution_not_found`.
    public func execution(_ id: String) async throws(ParmanaError) -> ExecutionRecord {
        guard let e = try await store.execution(id) else { throw ParmanaError(.executionNotFound, "no execution \(id)") }
        return e
    }

    /// Accepts an approver's signed override for a pending execution (SPEC §8).
    public func override(_ bytes: [UInt8]) async throws(ParmanaError) -> OverrideResult {
        try await override(try config.parser.parse(bytes))
    }

    public func override(_ json: JSONValue) async throws(ParmanaError) -> OverrideResult {
        let (env, o) = try OverridePayload.envelope(json)
        let exec = try await execution(o.executionID)
        switch exec.state {
        case .completed: throw ParmanaError(.notPending, "execution \(o.executionID) does not require an override")
        case .overrideApproved, .overrideRejected:
            throw ParmanaError(.overrideAlreadyResolved, "execution \(o.executionID) was already resolved (\(exec.state.rawValue))")
        case .pendingOverride: break
        }
        guard o.attestationHash == exec.attestationHash else {
            throw ParmanaError(.attestationMismatch, "the override names attestation \(o.attestationHash), not \(exec.attestationHash)")
        }
        if let e = o.authorityError(env, trust: config.trust) { throw e }
        let newState: ExecutionState = o.resolution == .approve ? .overrideApproved : .overrideRejected
        switch try await store.commit(OverrideCommit(executionID: o.executionID, override: env, newState: newState, at: config.clock.now())) {
        case .committed(let seq): return OverrideResult(executionID: o.executionID, state: newState, seq: seq)
        case .notFound: throw ParmanaError(.executionNotFound, "no execution \(o.executionID)")
        case .notPending(let s):
            if s == .completed { throw ParmanaError(.notPending, "execution \(o.executionID) does not require an override") }
            throw ParmanaError(.overrideAlreadyResolved, "execution \(o.executionID) was already resolved (\(s.rawValue))")
        }
    }

    // MARK: audit

    /// Signs a checkpoint of the current log head and stores it.
    public func checkpoint() async throws(ParmanaError) -> Envelope {
        guard let signer = config.checkpointSigner else {
            throw ParmanaError(.invalidConfig, "this runtime has no checkpoint key")
        }
        let entries = try await store.allEntries()
        let hashes = entries.map(\.entry.entryHash)
        let root = Merkle.root(hashes.map { Merkle.leafHash(entryHash: $0) })
        let payload = CheckpointPayload(logID: config.logID, size: entries.count, rootHash: Hex.encode(root),
                                        lastEntryHash: hashes.last ?? AuditEntry.genesisHash, issuedAt: config.clock.now(),
                                        keyID: signer.keyID)
        let env: Envelope
        do { env = try await signer.envelope(payload.json) } catch {
            throw ParmanaError(.storeUnavailable, "the checkpoint signer failed: \(error)")
        }
        try await store.add(checkpoint: env)
        return env
    }

    /// The newest stored checkpoint, or a new one if none covers the log.
    public func latestCheckpoint() async throws(ParmanaError) -> Envelope {
        let size = try await store.size()
        if let last = try await store.checkpoints().last, let cp = try? CheckpointPayload(json: last.payload), cp.size == size {
            return last
        }
        return try await checkpoint()
    }

    /// Inclusion proof of entry `seq` against a checkpoint (the newest, made if needed).
    public func inclusionProof(seq: Int, checkpoint: Envelope? = nil) async throws(ParmanaError) -> InclusionProof {
        let cpEnv: Envelope
        if let checkpoint { cpEnv = checkpoint } else { cpEnv = try await latestCheckpoint() }
        let cp = try CheckpointPayload(json: cpEnv.payload)
        guard seq >= 1, seq <= cp.size else { throw ParmanaError(.notFound, "entry \(seq) is not in the tree of size \(cp.size)") }
        let entries = try await store.entries(from: 1, limit: cp.size)
        let leaves = entries.map { Merkle.leafHash(entryHash: $0.entry.entryHash) }
        return InclusionProof(leafIndex: seq - 1, treeSize: cp.size, entry: entries[seq - 1].entry,
                              auditPath: Merkle.inclusionProof(seq - 1, leaves), checkpoint: cpEnv)
    }

    /// Consistency proof from size `first` to size `second` (RFC 6962 §2.1.2).
    public func consistencyProof(first: Int, second: Int) async throws(ParmanaError) -> JSONValue {
        let size = try await store.size()
        guard first >= 1, first <= second, second <= size else {
            throw ParmanaError(.invalidRequest, "need 1 ≤ first ≤ second ≤ \(size)")
        }
        let entries = try await store.entries(from: 1, limit: second)
        let leaves = entries.map { Merkle.leafHash(entryHash: $0.entry.entryHash) }
        return [
            "first": .number(Double(first)), "second": .number(Double(second)),
            "first_root": .string(Hex.encode(Merkle.root(leaves, 0..<first))),
            "second_root": .string(Hex.encode(Merkle.root(leaves))),
            "proof": .array(Merkle.consistencyProof(first, leaves).map { .string(Hex.encode($0)) }),
        ]
    }
}
