/// Disjoint per-index slots written by parallel jobs (each index by exactly one job).
final class CheckedSlots: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<AuditLogVerifier.Checked>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: AuditLogVerifier.Checked())
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
}

/// Verifies audit logs (SPEC §11, §16), streamed in chunks so a log of any size is
/// checked in bounded memory per chunk: every `prev_hash` links, every `record_hash`
/// matches its record (in canonical form), every stored `entry_hash` matches, every
/// record's signature verifies under the trust store with the right role at its time,
/// each execution's resolutions follow ``ExecutionLifecycle``, no fingerprint is executed
/// twice — within a log or across several logs — and every checkpoint is signed and
/// matches the tree. Any break names the first bad `seq` (`audit_chain_broken`).
///
/// Use: ``begin(logID:from:previousEntryHash:frontier:checkpoints:)``, then
/// ``verify(_:)`` for each chunk in order, then ``end()``; repeat for further logs.
/// With `rebuildProjection`, the verifier also rebuilds what a store serves beside the
/// log (``LogProjection``, SPEC §16.3).
public struct AuditLogVerifier: Sendable {
    public let trust: TrustStore
    public let runner: JobRunner
    public let rebuildProjection: Bool

    /// One problem, at the entry (or checkpoint size) where it was found.
    public struct Problem: Sendable, Equatable {
        public var seq: Int
        public var code: ErrorCode
        public var message: String
        public var executionID: String?
        /// The log it was found in (when several are verified).
        public var logID: String?

        public init(seq: Int, code: ErrorCode, message: String, executionID: String? = nil, logID: String? = nil) {
            self.seq = seq
            self.code = code
            self.message = message
            self.executionID = executionID
            self.logID = logID
        }

        public var json: JSONValue {
            var o = JSONObject([("seq", .number(Double(seq))), ("code", .string(code.rawValue)), ("message", .string(message))])
            if let executionID { o["execution_id"] = .string(executionID) }
            if let logID { o["log_id"] = .string(logID) }
            return .object(o)
        }
    }

    /// The verdict on one log (or on all logs, from ``combined(_:)``).
    public struct Report: Sendable {
        public var valid: Bool
        public var logID: String
        public var size: Int
        public var rootHash: String
        public var checkpointsChecked: Int
        public var problems: [Problem]
        public var firstBadSeq: Int? { problems.map(\.seq).min() }

        public var json: JSONValue {
            [
                "valid": .bool(valid), "log_id": .string(logID), "size": .number(Double(size)), "root_hash": .string(rootHash),
                "checkpoints_checked": .number(Double(checkpointsChecked)),
                "first_bad_seq": firstBadSeq.map { .number(Double($0)) } ?? .null,
                "errors": .array(problems.sorted { $0.seq < $1.seq }.prefix(100).map(\.json)),
            ]
        }
    }

    /// Runs `work(j)` for every job `j` in `0..<jobs`; the jobs are independent and the
    /// runner may run them concurrently.
    public typealias JobRunner = @Sendable (_ jobs: Int, _ work: @Sendable (Int) -> Void) -> Void

    /// Runs the jobs one after another.
    public static let sequential: JobRunner = { jobs, work in for j in 0..<jobs { work(j) } }

    // Across logs.
    private var fingerprints: [String: (log: String, seq: Int)] = [:]
    // The current log.
    private var logID = ""
    private var size = 0
    private var lastHash = [UInt8](repeating: 0, count: 32)
    private var frontier = MerkleFrontier()
    private var checkpoints: [(size: Int, envelope: Envelope, payload: CheckpointPayload?)] = []
    private var nextCheckpoint = 0
    private var checkpointsChecked = 0
    private var problems: [Problem] = []
    /// Executions of the current log that can still be resolved, by id.
    private var open: [String: ExecutionLifecycle] = [:]
    /// Seq of every execution of the current log, by id (to tell "not earlier" from "resolved").
    private var executionSeqs: [String: Int] = [:]
    public private(set) var projection = LogProjection()

    public init(trust: TrustStore, runner: @escaping JobRunner = AuditLogVerifier.sequential, rebuildProjection: Bool = false) {
        self.trust = trust
        self.runner = runner
        self.rebuildProjection = rebuildProjection
    }

    /// Starts a log. An export that starts after seq 1 gives the entry hash before it and
    /// the Merkle frontier there (both from the export header).
    public mutating func begin(logID: String, from: Int = 1, previousEntryHash: [UInt8]? = nil, frontier: MerkleFrontier = MerkleFrontier(),
                               checkpoints: [Envelope]) {
        self.logID = logID
        size = from - 1
        lastHash = previousEntryHash ?? [UInt8](repeating: 0, count: 32)
        self.frontier = frontier
        self.checkpoints = checkpoints.map { env in
            let p = try? CheckpointPayload(json: env.payload)
            return (p?.size ?? -1, env, p)
        }.sorted { $0.size < $1.size }
        nextCheckpoint = 0
        checkpointsChecked = 0
        problems = []
        open = [:]
        executionSeqs = [:]
        projection = LogProjection()
        // Checkpoints at or before the start can only be checked against the frontier's size.
        checkReachedCheckpoints()
    }

    private mutating func broken(_ seq: Int, _ message: String, executionID: String? = nil) {
        problems.append(Problem(seq: seq, code: .auditChainBroken, message: message, executionID: executionID, logID: logID))
    }

    /// What the parallel phase learns about one entry.
    struct Checked: Sendable {
        var entryHash: [UInt8] = []
        var problem: String?
        var payload: Payload = .none

        enum Payload: Sendable {
            case none
            case attestation(AttestationPayload, hash: String)
            case override(OverridePayload)
            case expiry(ExpiryPayload)
        }
    }

    /// Verifies the next chunk of entries, in order.
    public mutating func verify(_ chunk: [AuditRecord]) {
        let count = chunk.count
        guard count > 0 else { return }
        let jobs = max(1, min(count / 64, 64))
        let box = CheckedSlots(count: count)
        let trust = self.trust
        runner(jobs) { job in
            for i in (count * job / jobs)..<(count * (job + 1) / jobs) {
                box.slots[i] = AuditLogVerifier.check(chunk[i], trust: trust)
            }
        }
        for (i, r) in chunk.enumerated() { sequential(r, box.slots[i]) }
    }

    /// The stateless checks of one entry: hashes, canonical form, payload, trust, signature.
    static func check(_ r: AuditRecord, trust: TrustStore) -> Checked {
        var c = Checked()
        let e = r.entry
        c.entryHash = Hashing.sha256(e.canonicalBytes)
        if let stored = r.storedEntryHash, stored != c.entryHash {
            c.problem = "the stored entry_hash does not match the entry"
            return c
        }
        let json: JSONValue
        do { json = try JSONParser(maxBytes: Int.max).parse(r.recordBytes) } catch {
            c.problem = "the record is not JSON (\(error.code.rawValue))"
            return c
        }
        guard Hashing.sha256Hex(r.recordBytes) == e.recordHash else {
            c.problem = "record_hash does not match the stored record"
            return c
        }
        guard CanonicalJSON.bytes(json) == r.recordBytes else {
            c.problem = "the record is not stored in canonical form"
            return c
        }
        let env: Envelope
        do { env = try Envelope(json: json) } catch {
            c.problem = "the record is not a well-formed envelope: \(error.message)"
            return c
        }
        let payloadBytes = CanonicalJSON.bytes(env.payload)
        do {
            switch e.kind {
            case .execution:
                let p = try AttestationPayload(json: env.payload)
                guard p.executionID == e.executionID, p.executionFingerprint == e.executionFingerprint else {
                    c.problem = "the attestation is for another execution or fingerprint"
                    return c
                }
                if let err = trust.trustError(keyID: p.keyID, type: p.type, at: p.issuedAt) { c.problem = err.message; return c }
                c.payload = .attestation(p, hash: e.recordHash)
            case .override:
                let o = try OverridePayload(json: env.payload)
                guard env.type == PayloadType.override, o.executionID == e.executionID else {
                    c.problem = "the override is for another execution"
                    return c
                }
                if let err = trust.trustError(keyID: o.keyID, type: PayloadType.override, at: o.resolvedAt, approverID: o.approverID) {
                    c.problem = err.message
                    return c
                }
                c.payload = .override(o)
            case .overrideExpired:
                let x = try ExpiryPayload(json: env.payload)
                guard x.executionID == e.executionID else { c.problem = "the expiry is for another execution"; return c }
                if let err = trust.trustError(keyID: x.keyID, type: PayloadType.expiry, at: x.expiredAt) { c.problem = err.message; return c }
                c.payload = .expiry(x)
            case .policyLoaded:
                guard env.type == PayloadType.policy else { c.problem = "a policy_loaded record must be a signed policy"; return c }
                if let err = trust.trustError(keyID: env.keyID, type: PayloadType.policy, at: nil) { c.problem = err.message; return c }
            case .runtimeStarted:
                // The signed manifest itself, or a node's signed start statement carrying it.
                if env.type == PayloadType.runtimeStart {
                    let start = try RuntimeStartPayload(json: env.payload)
                    if let err = trust.trustError(keyID: start.keyID, type: PayloadType.runtimeStart, at: start.startedAt) {
                        c.problem = err.message
                        return c
                    }
                    if let err = trust.trustError(keyID: start.manifest.keyID, type: PayloadType.runtimeManifest, at: nil) {
                        c.problem = "the manifest in the runtime-start record: \(err.message)"
                        return c
                    }
                    guard trust.signatureVerifies(start.manifest) else {
                        c.problem = "the manifest in the runtime-start record has a signature that does not verify"
                        return c
                    }
                } else {
                    _ = try RuntimeManifest(json: env.payload)
                    if let err = trust.trustError(keyID: env.keyID, type: PayloadType.runtimeManifest, at: nil) { c.problem = err.message; return c }
                }
            }
        } catch {
            c.problem = "the record is malformed: \(error.message)"
            return c
        }
        if !e.kind.isExecutionEvent, e.executionID != nil || e.executionFingerprint != nil {
            c.problem = "a \(e.kind.rawValue) entry names an execution"
            return c
        }
        guard trust.signatureVerifies(env, signedBytes: payloadBytes) else {
            c.problem = "the record's signature does not verify"
            return c
        }
        return c
    }

    /// The ordered checks: seq, links, tree, checkpoints, fingerprints, lifecycles.
    private mutating func sequential(_ r: AuditRecord, _ c: Checked) {
        let e = r.entry
        let seq = size + 1
        if e.seq != seq { broken(seq, "entry \(seq) has seq \(e.seq): entries are missing or out of order") }
        if e.prevHash != Hex.encode(lastHash) { broken(seq, "prev_hash does not link to entry \(seq - 1)") }
        if let p = c.problem { broken(seq, p, executionID: e.executionID) }
        lastHash = c.entryHash
        let completed = frontier.append(leaf: Merkle.leafHash(c.entryHash))
        if rebuildProjection {
            for n in completed where n.node.level >= MerkleProofs.lowestStoredInteriorLevel { projection.treeNodes[n.node] = n.hash }
        }
        size = seq
        if c.problem == nil { apply(c.payload, e, seq: seq) }
        checkReachedCheckpoints()
    }

    private mutating func apply(_ payload: Checked.Payload, _ e: AuditEntry, seq: Int) {
        switch payload {
        case .none:
            break
        case .attestation(let a, let hash):
            let id = a.executionID
            if let first = fingerprints[a.executionFingerprint] {
                let where_ = first.log == logID ? "at seq \(first.seq)" : "in log \(first.log) at seq \(first.seq)"
                broken(seq, "fingerprint \(a.executionFingerprint) was already executed \(where_)", executionID: id)
            } else {
                fingerprints[a.executionFingerprint] = (logID, seq)
            }
            guard executionSeqs[id] == nil else { broken(seq, "execution \(id) appears twice", executionID: id); return }
            executionSeqs[id] = seq
            let life = ExecutionLifecycle(a, attestationHash: hash, seq: seq)
            if life.state == .pendingOverride { open[id] = life }
            if rebuildProjection { projection.record(life) }
        case .override(let o):
            guard let life = open[o.executionID] else {
                if executionSeqs[o.executionID] == nil {
                    broken(seq, "override for execution \(o.executionID), which is not earlier in the log", executionID: o.executionID)
                } else {
                    broken(seq, "override for execution \(o.executionID), which is not pending", executionID: o.executionID)
                }
                return
            }
            if let refusal = life.refusal(o) {
                broken(seq, "an override the runtime must refuse was logged: \(refusal.code.rawValue): \(refusal.message)", executionID: o.executionID)
                return
            }
            let next = life.accepting(o, seq: seq)
            close(next)
        case .expiry(let x):
            guard let life = open[x.executionID] else {
                broken(seq, "expiry of execution \(x.executionID), which is not pending earlier in the log", executionID: x.executionID)
                return
            }
            if let refusal = life.refusal(x) {
                broken(seq, "an expiry the runtime must not write was logged: \(refusal.message)", executionID: x.executionID)
                return
            }
            close(life.expiring(seq: seq))
        }
    }

    private mutating func close(_ life: ExecutionLifecycle) {
        if life.state == .pendingOverride { open[life.executionID] = life } else { open[life.executionID] = nil }
        if rebuildProjection { projection.record(life) }
    }

    private mutating func checkReachedCheckpoints() {
        while nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint].size <= size {
            let cp = checkpoints[nextCheckpoint]
            nextCheckpoint += 1
            checkpointsChecked += 1
            guard let p = cp.payload else { broken(max(1, size), "a checkpoint is malformed"); continue }
            let at = max(1, p.size)
            if p.logID != logID, !logID.isEmpty {
                broken(at, "checkpoint of size \(p.size) is for log \(p.logID), not \(logID)")
                continue
            }
            if let err = trust.trustError(keyID: p.keyID, type: PayloadType.checkpoint, at: p.issuedAt) {
                broken(at, "checkpoint of size \(p.size): \(err.message)")
                continue
            }
            guard trust.signatureVerifies(cp.envelope) else {
                broken(at, "checkpoint of size \(p.size): signature does not verify")
                continue
            }
            guard p.size == size else {
                // Before an export's first entry: its root cannot be recomputed from the
                // export; it is not counted as checked.
                checkpointsChecked -= 1
                continue
            }
            if Hex.encode(frontier.root) != p.rootHash {
                broken(at, "checkpoint of size \(p.size): root does not match the log")
            } else if p.size > 0, Hex.encode(lastHash) != p.lastEntryHash {
                broken(at, "checkpoint of size \(p.size): last_entry_hash does not match")
            }
        }
    }

    /// Ends the current log: checkpoints beyond its end are reported (entries were removed).
    public mutating func end() -> Report {
        while nextCheckpoint < checkpoints.count {
            let cp = checkpoints[nextCheckpoint]
            nextCheckpoint += 1
            checkpointsChecked += 1
            broken(max(1, size), "checkpoint of size \(cp.size) is beyond the log (size \(size)): entries were removed")
        }
        return Report(valid: problems.isEmpty, logID: logID, size: size, rootHash: Hex.encode(frontier.root),
                      checkpointsChecked: checkpointsChecked, problems: problems)
    }

    /// Verifies one whole log held in memory (tests, small logs).
    public func verify(_ records: [AuditRecord], checkpoints: [Envelope], logID: String = "") -> Report {
        var v = self
        v.begin(logID: logID, checkpoints: checkpoints)
        var start = 0
        while start < records.count {
            let end = min(records.count, start + 4096)
            v.verify(Array(records[start..<end]))
            start = end
        }
        return v.end()
    }

    /// Reports of several logs as one: valid only if all are.
    public static func combined(_ reports: [Report]) -> Report {
        Report(valid: reports.allSatisfy(\.valid), logID: reports.map(\.logID).joined(separator: ","),
               size: reports.map(\.size).reduce(0, +), rootHash: reports.count == 1 ? reports[0].rootHash : "",
               checkpointsChecked: reports.map(\.checkpointsChecked).reduce(0, +), problems: reports.flatMap(\.problems))
    }
}
