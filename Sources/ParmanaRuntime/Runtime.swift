import ParmanaCore
import Synchronization

/// Which signals the runtime keeps for approvers (SPEC §19.4).
public enum RetainSignals: String, Sendable, CaseIterable {
    /// Signals of executions that require an override, until resolved or expired (default).
    case pending
    /// Signals of every execution, for as long as the execution record.
    case all
    /// Never.
    case none
}

/// Everything a runtime needs, passed in as values.
public struct RuntimeConfiguration: Sendable {
    public var store: any EvidenceStore
    public var trust: TrustStore
    /// Signs attestations and expiry records (an `attestation` key).
    public var signer: any Signer
    /// Signs checkpoints (a `checkpoint` key); nil if this runtime does not sign them.
    public var checkpointSigner: (any Signer)?
    public var clock: any Clock
    public var ids: any ExecutionIDs
    /// This binary's signed runtime manifest (SPEC §9).
    public var manifest: Envelope
    public var parser: JSONParser
    public var logID: String
    public var nodeID: String
    public var retainSignals: RetainSignals
    /// Longest wait between the log growing and a checkpoint covering it (SPEC §16.2).
    public var checkpointIntervalSeconds: Int
    /// Set when the shared replay store runs without durability guarantees by the
    /// operator's choice: every start is then logged as a signed `parmana.runtime-start/v1`.
    public var acceptedReplayStoreRisk: ReplayStoreRisk?

    public init(store: any EvidenceStore, trust: TrustStore, signer: any Signer, checkpointSigner: (any Signer)? = nil,
                clock: any Clock = SystemClock(), ids: any ExecutionIDs = RandomExecutionIDs(), manifest: Envelope,
                parser: JSONParser = JSONParser(), logID: String = "parmana", nodeID: String? = nil,
                retainSignals: RetainSignals = .pending, checkpointIntervalSeconds: Int = 10,
                acceptedReplayStoreRisk: ReplayStoreRisk? = nil) {
        self.store = store
        self.trust = trust
        self.signer = signer
        self.checkpointSigner = checkpointSigner
        self.clock = clock
        self.ids = ids
        self.manifest = manifest
        self.parser = parser
        self.logID = logID
        self.nodeID = nodeID ?? logID
        self.retainSignals = retainSignals
        self.checkpointIntervalSeconds = checkpointIntervalSeconds
        self.acceptedReplayStoreRisk = acceptedReplayStoreRisk
    }
}

/// The result of a governed decision (the 201 body of `POST /v1/decisions`).
public struct DecisionResult: Sendable {
    public var executionID: String
    /// The state the attestation carries (`completed` or `pending_override`).
    public var state: ExecutionState
    public var attestation: Envelope
    public var decision: Decision
    public var explanation: Explanation?
    /// The execution's audit seq in this node's log; 0 for an idempotent replay of an
    /// execution logged by another node (SPEC §17.1, §18).
    public var seq: Int
    /// True when an idempotent retry was answered with the original decision (SPEC §18).
    public var idempotentReplay: Bool = false

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
    public var quorum: JSONValue
    /// The accepted override's resolution.
    public var resolution: Action

    public var json: JSONValue {
        ["execution_id": .string(executionID), "execution_state": .string(state.rawValue), "seq": .number(Double(seq)),
         "quorum": quorum]
    }
}

/// The governance pipeline (SPEC §7, §8, §16, §18, §19): decide, override, expire, and
/// the audit log's checkpoints and proofs. Errors are typed; statuses and exit codes are
/// mapped at the edge.
public final class Runtime: Sendable {
    public let config: RuntimeConfiguration
    private let registry: Mutex<PolicyRegistry>
    /// `runtime_hash` of this runtime's manifest (SPEC §9), pinned in every attestation.
    public let runtimeHash: String
    /// Idempotency keys being decided in this process (`request_in_progress`).
    private let inFlightKeys = Mutex(Set<String>())
    /// When the checkpointer will next run (for `not_yet_checkpointed`).
    private let nextCheckpointDue = Mutex<Timestamp?>(nil)

    public init(_ config: RuntimeConfiguration, policies: PolicyRegistry = PolicyRegistry()) {
        self.config = config
        registry = Mutex(policies)
        runtimeHash = RuntimeManifest.identityHash(of: config.manifest.payload)
    }

    public var store: any EvidenceStore { config.store }

    /// Runs a store call, mapping its failure to SPEC §13 (the one place, ``ParmanaError/init(_:)``).
    @inline(__always)
    func stored<T>(_ body: () async throws(StoreError) -> T) async throws(ParmanaError) -> T {
        do { return try await body() } catch { throw ParmanaError(error) }
    }

    /// Records `runtime_started` (when this runtime differs from the last one logged)
    /// and `policy_loaded` for every loaded policy not yet in the log. With an accepted
    /// replay-store risk, every start is recorded, as a signed `parmana.runtime-start/v1`
    /// carrying the manifest (docs/formats.md).
    public func start() async throws(ParmanaError) {
        if let risk = config.acceptedReplayStoreRisk {
            let now = config.clock.now()
            let payload = RuntimeStartPayload(manifest: config.manifest, nodeID: config.nodeID, replayStore: risk.replayStore,
                                              unsafeSettings: risk.unsafeSettings, startedAt: now, keyID: config.signer.keyID)
            let env: Envelope
            do { env = try await config.signer.envelope(payload.json) } catch { throw ParmanaError(SignerError("runtime start: \(error)")) }
            let bytes = CanonicalJSON.bytes(env.json)
            _ = try await stored { () throws(StoreError) in try await store.append(event: .runtimeStarted, record: bytes, at: now) }
        } else {
            let last = try await stored { () throws(StoreError) in try await store.lastEvent(.runtimeStarted) }
            if last?.entry.recordHash != config.manifest.hash {
                let bytes = CanonicalJSON.bytes(config.manifest.json)
                _ = try await stored { () throws(StoreError) in try await store.append(event: .runtimeStarted, record: bytes, at: config.clock.now()) }
            }
        }
        for p in registry.withLock({ $0.all }) {
            try await logPolicy(p)
        }
    }

    private func logPolicy(_ p: LoadedPolicy) async throws(ParmanaError) {
        guard let env = p.envelope else { return }
        let bytes = CanonicalJSON.bytes(env.json)
        let hash = Hashing.sha256Hex(bytes)
        guard try await !stored({ () throws(StoreError) in try await store.containsEvent(recordHash: hash) }) else { return }
        _ = try await stored { () throws(StoreError) in try await store.append(event: .policyLoaded, record: bytes, at: config.clock.now()) }
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
    public func decide(policyID: String, version: String? = nil, signals bytes: [UInt8], explain: Bool = false,
                       idempotencyKey: String? = nil) async throws(ParmanaError) -> DecisionResult {
        try await decide(policyID: policyID, version: version, signals: try config.parser.parse(bytes), explain: explain,
                         idempotencyKey: idempotencyKey)
    }

    /// A governed decision on parsed signals. With an `Idempotency-Key` (SPEC §18), a
    /// retry of a decision already made returns it unchanged (nothing new is signed,
    /// consumed or logged); the same key for another request is `idempotency_key_reused`;
    /// the same key while the first is still being decided is `request_in_progress`.
    public func decide(policyID: String, version: String? = nil, signals: JSONValue, explain: Bool = false,
                       idempotencyKey: String? = nil) async throws(ParmanaError) -> DecisionResult {
        let signalBytes = CanonicalJSON.bytes(signals)
        let fingerprint = Hashing.sha256Hex(signalBytes)
        let loaded = try policy(policyID, version: version)
        var idempotency: IdempotencyRecord?
        if let key = idempotencyKey {
            try Runtime.checkIdempotencyKey(key)
            let record = IdempotencyRecord(key: key, requestHash: Runtime.requestHash(policyID: policyID, version: version,
                                                                                      fingerprint: fingerprint, explain: explain),
                                           executionID: "")
            if let existing = try await stored({ () throws(StoreError) in try await store.idempotency(key) }) {
                return try await idempotentReplay(existing, request: record, fingerprint: fingerprint, signals: signals, explain: explain)
            }
            guard inFlightKeys.withLock({ $0.insert(key).inserted }) else {
                throw ParmanaError(.requestInProgress, "a request with Idempotency-Key \(key) is still being decided; retry shortly")
            }
            idempotency = record
        }
        defer { if let key = idempotencyKey, idempotency != nil { _ = inFlightKeys.withLock { $0.remove(key) } } }

        var decision: Decision
        var explanation: Explanation?
        if explain {
            (decision, explanation) = try loaded.compiled.explain(signals)
        } else {
            decision = try loaded.compiled.evaluate(signals)
        }
        let executionID = config.ids.next()
        let state: ExecutionState = decision.requiresOverride ? .pendingOverride : .completed
        let now = config.clock.now()
        decision = loaded.compiled.attested(decision, issuedAt: now)
        let payload = AttestationPayload(
            executionID: executionID, executionFingerprint: fingerprint, policy: loaded.policy.reference,
            decision: decision, executionState: state, runtimeHash: runtimeHash, issuedAt: now, keyID: config.signer.keyID)
        let payloadBytes = payload.canonicalBytes
        let signature: [UInt8]
        do {
            signature = try await config.signer.signature(for: payloadBytes)
        } catch let e as SignerError {
            throw ParmanaError(e)
        } catch {
            throw ParmanaError(SignerError("\(error)"))
        }
        let canonical = Envelope.canonicalBytes(payloadBytes: payloadBytes, signature: signature)
        let retain = config.retainSignals == .all || (config.retainSignals == .pending && decision.requiresOverride)
        idempotency?.executionID = executionID
        let commit = ExecutionCommit(executionID: executionID, fingerprint: fingerprint, attestationBytes: canonical, state: state,
                                     policyID: loaded.policy.policyID, expiresAt: decision.override?.expiresAt, at: now,
                                     retainedSignals: retain ? signalBytes : nil, idempotency: idempotency)
        switch try await stored({ () throws(StoreError) in try await store.commit(commit) }) {
        case .replay(let existing):
            // The signed attestation is discarded: it never leaves this process.
            throw Runtime.replay(fingerprint, existing)
        case .idempotencyKeyBound(let existing):
            return try await idempotentReplay(existing, request: idempotency!, fingerprint: fingerprint, signals: signals, explain: explain)
        case .committed(let seq):
            return DecisionResult(executionID: executionID, state: state, attestation: Envelope(payload: payload.json, signature: signature),
                                  decision: decision, explanation: explanation, seq: seq)
        }
    }

    /// An Idempotency-Key is 1–255 printable ASCII characters (SPEC §18).
    static func checkIdempotencyKey(_ key: String) throws(ParmanaError) {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            throw ParmanaError(.invalidRequest, "an Idempotency-Key is 1 to 255 printable ASCII characters")
        }
    }

    /// The identity of a request for idempotency: policy id, pinned version (or none),
    /// fingerprint, and whether an explanation was asked for.
    public static func requestHash(policyID: String, version: String?, fingerprint: String, explain: Bool) -> String {
        IdempotencyRequest.hash(policyID: policyID, version: version, fingerprint: fingerprint, explain: explain)
    }

    /// The original decision for a retried Idempotency-Key: the same attestation — carried
    /// by the record when it comes from a shared replay store (the deciding node may be
    /// another one), else rebuilt from this log — and, when asked for, the same
    /// explanation (a pure function of the policy and the signals, whose fingerprint
    /// matches). A first request still being decided (anywhere) is `request_in_progress`.
    func idempotentReplay(_ existing: IdempotencyRecord, request: IdempotencyRecord, fingerprint: String, signals: JSONValue,
                          explain: Bool) async throws(ParmanaError) -> DecisionResult {
        // The stored key and request hash are state beside the log: never answer a retry
        // with an attestation of other signals (a store edited behind the runtime).
        func sameSignals(_ a: AttestationPayload) throws(ParmanaError) {
            guard a.executionFingerprint == fingerprint else {
                var e = ParmanaError(.projectionMismatch, "Idempotency-Key \(request.key) is stored for execution \(a.executionID), which decided other signals (fingerprint \(a.executionFingerprint), not \(fingerprint)): the store does not match its log")
                e.executionID = a.executionID
                throw e
            }
        }
        guard existing.requestHash == request.requestHash else {
            throw ParmanaError(.idempotencyKeyReused, "Idempotency-Key \(request.key) was used for a different request (execution \(existing.executionID))")
        }
        if existing.inProgress {
            throw ParmanaError(.requestInProgress, "a request with Idempotency-Key \(request.key) is still being decided"
                + (existing.nodeID.map { " by node \($0)" } ?? "") + "; retry shortly")
        }
        if let bytes = existing.attestation {
            let env: Envelope
            let a: AttestationPayload
            do {
                env = try Envelope(json: try JSONParser(maxBytes: Int.max).parse(bytes))
                a = try AttestationPayload(json: env.payload)
            } catch {
                throw ParmanaError(StoreError.corrupt("the attestation kept for Idempotency-Key \(request.key): \(error.message)"))
            }
            guard a.executionID == existing.executionID else {
                throw ParmanaError(StoreError.corrupt("the attestation kept for Idempotency-Key \(request.key) is for another execution"))
            }
            try sameSignals(a)
            var explanation: Explanation?
            if explain {
                let loaded = try policy(a.policy.policyID, version: a.policy.version)
                explanation = try loaded.compiled.explain(signals).1
            }
            let seq = try await stored { () throws(StoreError) in try await store.execution(a.executionID)?.seq } ?? 0
            return DecisionResult(executionID: a.executionID, state: a.executionState, attestation: env, decision: a.decision,
                                  explanation: explanation, seq: seq, idempotentReplay: true)
        }
        let stored = try await execution(existing.executionID)
        let a = stored.attestationPayload
        try sameSignals(a)
        var explanation: Explanation?
        if explain {
            let loaded = try policy(a.policy.policyID, version: a.policy.version)
            explanation = try loaded.compiled.explain(signals).1
        }
        return DecisionResult(executionID: a.executionID, state: a.executionState, attestation: stored.attestation, decision: a.decision,
                              explanation: explanation, seq: stored.lifecycle.seq, idempotentReplay: true)
    }

    static func replay(_ fingerprint: String, _ existing: String) -> ParmanaError {
        var e = ParmanaError(.replayDetected, "these signals (fingerprint \(fingerprint)) were already decided by execution \(existing); a retry is a new governance event with new signals")
        e.executionID = existing
        return e
    }

    // MARK: executions

    /// The execution with this id, rebuilt from its log records (`execution_not_found`;
    /// `projection_mismatch` when the state the store serves disagrees with the log).
    public func execution(_ id: String) async throws(ParmanaError) -> ExecutionView {
        guard let s = try await stored({ () throws(StoreError) in try await store.execution(id) }) else {
            throw ParmanaError(.executionNotFound, "no execution \(id)")
        }
        return try ExecutionView(s, policies: registry.withLock { $0 })
    }

    /// Pending executions, oldest first (SPEC §15, §19.4).
    public func pending(_ query: PendingQuery) async throws(ParmanaError) -> [ExecutionView] {
        let rows = try await stored { () throws(StoreError) in try await store.pending(query) }
        let reg = registry.withLock { $0 }
        var out: [ExecutionView] = []
        for s in rows { out.append(try ExecutionView(s, policies: reg)) }
        return out
    }

    // MARK: override

    /// Accepts an approver's signed override for a pending execution (SPEC §8, §19.2).
    public func override(_ bytes: [UInt8]) async throws(ParmanaError) -> OverrideResult {
        try await override(try config.parser.parse(bytes))
    }

    public func override(_ json: JSONValue) async throws(ParmanaError) -> OverrideResult {
        let (env, o) = try OverridePayload.envelope(json)
        let recordBytes = CanonicalJSON.bytes(env.json)
        // A concurrent resolution makes the commit stale; decide again on the new state.
        for _ in 0..<8 {
            let view = try await execution(o.executionID)
            let life = view.lifecycle
            // The runtime's own clock also decides expiry: a backdated resolved_at cannot
            // slip in after T, and an expiry due is recorded now, not at the next sweep.
            if life.isExpired(at: config.clock.now()) {
                _ = try? await expireDue()   // another execution's failure must not hide this refusal
                throw ParmanaError(.overrideExpired, "execution \(o.executionID) expired unresolved at \(life.requirement?.expiresAt?.description ?? "?")")
            }
            if let e = life.refusal(o) { throw e }
            if let e = o.authorityError(env, trust: config.trust) { throw e }
            try Runtime.checkResolvedAt(o, issuedAt: view.attestationPayload.issuedAt, now: config.clock.now())
            let next = life.accepting(o, seq: 0)
            let commit = ResolutionCommit(executionID: o.executionID, kind: .override, recordBytes: recordBytes,
                                          basedOnResolutions: life.resolutionSeqs.count, newState: next.state, at: config.clock.now(),
                                          dropRetainedSignals: next.state != .pendingOverride && config.retainSignals == .pending)
            switch try await stored({ () throws(StoreError) in try await store.commit(commit) }) {
            case .committed(let seq):
                return OverrideResult(executionID: o.executionID, state: next.state, seq: seq, quorum: next.quorumJSON, resolution: o.resolution)
            case .notFound: throw ParmanaError(.executionNotFound, "no execution \(o.executionID)")
            case .stale: continue
            }
        }
        throw ParmanaError(.storeUnavailable, "execution \(o.executionID) kept changing while the override was recorded; retry")
    }

    /// How far an override's `resolved_at` may lie ahead of the runtime's clock: 5 minutes.
    public static let overrideClockSkew: Int64 = 300_000

    /// An override's `resolved_at` is when the approver signed: not before the decision
    /// was issued, and not later than the runtime's clock plus ``overrideClockSkew``
    /// (docs/approvals.md). The key's validity window (SPEC §7) is judged at
    /// `resolved_at`, so without these bounds a backdated or postdated override could
    /// use a key outside its window.
    static func checkResolvedAt(_ o: OverridePayload, issuedAt: Timestamp, now: Timestamp) throws(ParmanaError) {
        if o.resolvedAt < issuedAt {
            throw ParmanaError(.malformedPayload, "the override's resolved_at \(o.resolvedAt) is before the decision was issued (\(issuedAt)): an approver cannot resolve an execution before it exists")
        }
        if o.resolvedAt.millisecondsSinceEpoch > now.millisecondsSinceEpoch + overrideClockSkew {
            throw ParmanaError(.malformedPayload, "the override's resolved_at \(o.resolvedAt) is ahead of this runtime's clock (\(now)) by more than \(overrideClockSkew / 1000) s; check the approver's clock")
        }
    }

    // MARK: expiry

    /// Appends a signed `parmana.expiry/v1` for every pending execution whose
    /// `expires_at` is at or before `now` (SPEC §19.2); returns the executions expired.
    @discardableResult
    public func expireDue(now: Timestamp? = nil) async throws(ParmanaError) -> [String] {
        let now = now ?? config.clock.now()
        let due = try await stored { () throws(StoreError) in try await store.expiring(at: now, limit: 1000) }
        var expired: [String] = []
        var firstFailure: ParmanaError?
        for id in due {
            // One execution the store cannot serve (e.g. projection_mismatch) must not keep
            // the others from expiring: go on, then report the first failure.
            let view: ExecutionView
            do { view = try await execution(id) } catch {
                if firstFailure == nil { firstFailure = error }
                continue
            }
            let life = view.lifecycle
            guard life.isExpired(at: now) else { continue }
            let payload = ExpiryPayload(executionID: id, attestationHash: life.attestationHash, expiredAt: now, keyID: config.signer.keyID)
            let env: Envelope
            do { env = try await config.signer.envelope(payload.json) } catch { throw ParmanaError(SignerError("\(error)")) }
            let commit = ResolutionCommit(executionID: id, kind: .overrideExpired, recordBytes: CanonicalJSON.bytes(env.json),
                                          basedOnResolutions: life.resolutionSeqs.count, newState: .overrideExpired, at: now,
                                          dropRetainedSignals: config.retainSignals == .pending)
            if case .committed = try await stored({ () throws(StoreError) in try await store.commit(commit) }) { expired.append(id) }
        }
        if let firstFailure { throw firstFailure }
        return expired
    }

    // MARK: audit

    /// The log's size and its entries `from...` (at most `limit`).
    public func entries(from: Int, limit: Int) async throws(ParmanaError) -> (size: Int, entries: [AuditRecord]) {
        let size = try await stored { () throws(StoreError) in try await store.size() }
        let page = try await stored { () throws(StoreError) in try await store.entries(from: from, limit: limit) }
        return (size, page)
    }

    /// Hashes of tree nodes as Core's proof math needs them (level 0: leaf hashes).
    func treeNodes(_ ids: [MerkleNodeID]) async throws(ParmanaError) -> [MerkleNodeID: Merkle.Hash] {
        let stored = try await stored { () throws(StoreError) in try await store.treeHashes(ids) }
        var out: [MerkleNodeID: Merkle.Hash] = [:]
        for (id, h) in stored { out[id] = id.level == 0 ? Merkle.leafHash(h) : h }
        return out
    }

    /// Signs a checkpoint of the log's current head and stores it: O(log n) reads.
    @discardableResult
    public func checkpoint() async throws(ParmanaError) -> Envelope {
        guard let signer = config.checkpointSigner else {
            throw ParmanaError(.invalidConfig, "this runtime has no checkpoint key")
        }
        let size = try await stored { () throws(StoreError) in try await store.size() }
        let root = try await MerkleProofs.compute({ (f) throws(ParmanaError) in try MerkleProofs.root(size: size, fetch: f) }, fetch: treeNodes)
        var last = AuditEntry.genesisHash
        if size > 0 {
            let leaf = MerkleNodeID(level: 0, index: size - 1)
            guard let h = try await stored({ () throws(StoreError) in try await store.treeHashes([leaf]) })[leaf] else {
                throw ParmanaError(.storeUnavailable, "the store has no entry \(size)")
            }
            last = Hex.encode(h)
        }
        let payload = CheckpointPayload(logID: config.logID, size: size, rootHash: Hex.encode(root), lastEntryHash: last,
                                        issuedAt: config.clock.now(), keyID: signer.keyID)
        let env: Envelope
        do { env = try await signer.envelope(payload.json) } catch { throw ParmanaError(SignerError("checkpoint: \(error)")) }
        try await stored { () throws(StoreError) in try await store.add(checkpoint: env) }
        return env
    }

    /// Signs a checkpoint if the log has grown past the newest one (the checkpointer's
    /// tick, SPEC §16.2); returns it, or nil when none was needed.
    @discardableResult
    public func checkpointIfBehind() async throws(ParmanaError) -> Envelope? {
        guard config.checkpointSigner != nil else { return nil }
        let size = try await stored { () throws(StoreError) in try await store.size() }
        let latest = try await latestCheckpoint()
        if let latest, let p = try? CheckpointPayload(json: latest.payload), p.size >= size { return nil }
        return try await checkpoint()
    }

    /// The checkpointer records when it will run next (for `not_yet_checkpointed`).
    public func setNextCheckpointDue(_ t: Timestamp?) { nextCheckpointDue.withLock { $0 = t } }

    /// The newest stored checkpoint. Never writes (SPEC §16.2).
    public func latestCheckpoint() async throws(ParmanaError) -> Envelope? {
        try await stored { () throws(StoreError) in try await store.latestCheckpoint() }
    }

    /// Inclusion proof of entry `seq` against the newest checkpoint: O(log n) reads.
    /// An entry newer than it is `not_yet_checkpointed`, naming when one is due.
    public func inclusionProof(seq: Int) async throws(ParmanaError) -> InclusionProof {
        let size = try await stored { () throws(StoreError) in try await store.size() }
        guard seq >= 1, seq <= size else { throw ParmanaError(.notFound, "entry \(seq) is not in the log (size \(size))") }
        guard let cpEnv = try await latestCheckpoint(), let cp = try? CheckpointPayload(json: cpEnv.payload), seq <= cp.size else {
            let due = nextCheckpointDue.withLock { $0 }
            var e = ParmanaError(.notYetCheckpointed, "entry \(seq) is newer than the newest checkpoint; "
                + (due.map { "the next checkpoint is due by \($0)" } ?? "sign one with 'parmana audit checkpoint' or POST /v1/audit/checkpoints"))
            if let due { e.details = [.init(pointer: "/next_checkpoint_due", message: due.description)] }
            throw e
        }
        return try await inclusionProof(seq: seq, checkpoint: cpEnv, size: cp.size)
    }

    /// Inclusion proof of entry `seq` against a given checkpoint of `size`.
    public func inclusionProof(seq: Int, checkpoint cpEnv: Envelope, size: Int) async throws(ParmanaError) -> InclusionProof {
        let path = try await MerkleProofs.compute({ (f) throws(ParmanaError) in
            try MerkleProofs.inclusionPath(index: seq - 1, size: size, fetch: f)
        }, fetch: treeNodes)
        guard let record = try await stored({ () throws(StoreError) in try await store.entries(from: seq, limit: 1) }).first else {
            throw ParmanaError(.notFound, "entry \(seq) is not in the log")
        }
        return InclusionProof(leafIndex: seq - 1, treeSize: size, entry: record.entry, auditPath: path, checkpoint: cpEnv)
    }

    /// Consistency proof from size `first` to size `second` (RFC 6962 §2.1.2): O(log n).
    public func consistencyProof(first: Int, second: Int) async throws(ParmanaError) -> JSONValue {
        let size = try await stored { () throws(StoreError) in try await store.size() }
        guard first >= 1, first <= second, second <= size else {
            throw ParmanaError(.invalidRequest, "need 1 ≤ first ≤ second ≤ \(size)")
        }
        let (firstRoot, secondRoot, proof) = try await MerkleProofs.compute({ (f) throws(ParmanaError) in
            (try MerkleProofs.root(size: first, fetch: f), try MerkleProofs.root(size: second, fetch: f),
             try MerkleProofs.consistencyProof(first: first, second: second, fetch: f))
        }, fetch: treeNodes)
        return [
            "first": .number(Double(first)), "second": .number(Double(second)),
            "first_root": .string(Hex.encode(firstRoot)), "second_root": .string(Hex.encode(secondRoot)),
            "proof": .array(proof.map { .string(Hex.encode($0)) }),
        ]
    }
}
