/// Disjoint per-index slots written by parallel chunks.
final class HashSlots: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<String>
    let leaves: UnsafeMutableBufferPointer<Merkle.Hash>
    init(_ base: UnsafeMutableBufferPointer<String>, _ leaves: UnsafeMutableBufferPointer<Merkle.Hash>) {
        self.base = base
        self.leaves = leaves
    }
}

/// Verifies a whole audit log (SPEC §11): every `prev_hash` links, every `record_hash`
/// matches its record, every record's signature verifies under the trust store, no
/// fingerprint appears in two execution entries, and every checkpoint is signed and
/// matches the tree. Any break makes the log invalid and names the first bad `seq`.
public struct AuditLogVerifier: Sendable {
    public var trust: TrustStore

    public init(trust: TrustStore) {
        self.trust = trust
    }

    /// One problem, at the entry (or checkpoint size) where it was found.
    public struct Problem: Sendable, Equatable {
        public var seq: Int
        public var code: ErrorCode
        public var message: String
    }

    public struct Report: Sendable {
        public var valid: Bool
        public var size: Int
        public var rootHash: String
        public var checkpointsChecked: Int
        public var problems: [Problem]
        public var firstBadSeq: Int? { problems.map(\.seq).min() }

        public var json: JSONValue {
            [
                "valid": .bool(valid), "size": .number(Double(size)), "root_hash": .string(rootHash),
                "checkpoints_checked": .number(Double(checkpointsChecked)),
                "first_bad_seq": firstBadSeq.map { .number(Double($0)) } ?? .null,
                "errors": .array(problems.sorted { $0.seq < $1.seq }.prefix(100).map {
                    ["seq": .number(Double($0.seq)), "code": .string($0.code.rawValue), "message": .string($0.message)]
                }),
            ]
        }
    }

    /// Runs `work(j)` for every job `j` in `0..<jobs`; jobs are independent and the
    /// runner may run them concurrently. Returns all problems found.
    public typealias JobRunner = @Sendable (_ jobs: Int, _ work: @Sendable (Int) -> [Problem]) -> [Problem]

    /// Runs the jobs one after another.
    public static let sequential: JobRunner = { jobs, work in (0..<jobs).flatMap { work($0) } }

    /// Verifies `records` (in stored order) and `checkpoints`.
    public func verify(_ records: [AuditRecord], checkpoints: [Envelope], runner: JobRunner = AuditLogVerifier.sequential) -> Report {
        var problems: [Problem] = []
        func broken(_ seq: Int, _ message: String) { problems.append(Problem(seq: seq, code: .auditChainBroken, message: message)) }

        // 1. Index executions (sequential, cheap: entry fields only).
        var executionIndex: [String: Int] = [:]
        for (i, r) in records.enumerated() where r.entry.kind == .execution {
            if let id = r.entry.executionID, executionIndex[id] == nil { executionIndex[id] = i }
        }

        // 2. Independent jobs: job 0 checks order and duplicates; the others, one chunk of
        // entries each, check entry hash, record hash, signature and trust. Job 0 runs
        // alongside the signature checks instead of after them.
        let count = records.count
        // Small chunks, so that the cores finish together.
        let chunks = count == 0 ? 0 : max(1, min(count / 128, 512))
        let hashes = UnsafeMutableBufferPointer<String>.allocate(capacity: count)
        hashes.initialize(repeating: "")
        let leafSlots = UnsafeMutableBufferPointer<Merkle.Hash>.allocate(capacity: count)
        leafSlots.initialize(repeating: [])
        defer {
            hashes.deallocate()
            leafSlots.deallocate()
        }
        let slots = HashSlots(hashes, leafSlots)
        let index = executionIndex
        let trust = self.trust
        problems += runner(1 + chunks) { job in
            if job == 0 { return AuditLogVerifier.orderAndDuplicates(records) }
            var out: [Problem] = []
            for i in (count * (job - 1) / chunks)..<(count * job / chunks) {
                let r = records[i]
                let h = r.entry.entryHash
                slots.base[i] = h
                slots.leaves[i] = Merkle.leafHash(entryHash: h)
                // Records are envelopes: JCS(envelope) is assembled from JCS(payload), which
                // is also what the signature covers, so the payload is serialized once.
                guard let env = try? Envelope(json: r.record) else {
                    if r.entry.recordHash != Hashing.canonicalHash(r.record) {
                        out.append(Problem(seq: i + 1, code: .auditChainBroken, message: "record_hash does not match the stored record"))
                    } else {
                        out.append(Problem(seq: i + 1, code: .auditChainBroken, message: "the record is not a well-formed envelope"))
                    }
                    continue
                }
                let payloadBytes = CanonicalJSON.bytes(env.payload)
                // The stored signature text is strict base64, so it is its own canonical encoding.
                let signatureText = r.record["signature"]?.stringValue ?? Base64.encode(env.signature)
                let recordHash = Hashing.sha256Hex(Envelope.canonicalBytes(payloadBytes: payloadBytes, signatureBase64: signatureText))
                if r.entry.recordHash != recordHash {
                    out.append(Problem(seq: i + 1, code: .auditChainBroken, message: "record_hash does not match the stored record"))
                } else if let p = AuditLogVerifier.checkRecord(r, env, payloadBytes, seq: i + 1, records: records, executionIndex: index, trust: trust) {
                    out.append(p)
                }
            }
            return out
        }
        let entryHashes = Array(hashes)

        // 3. Links: every prev_hash is the entry hash before it.
        for i in 0..<count where records[i].entry.prevHash != (i == 0 ? AuditEntry.genesisHash : entryHashes[i - 1]) {
            broken(i + 1, "prev_hash does not link to entry \(i)")
        }

        // 4. Checkpoints.
        let leaves = Array(leafSlots)
        for cpEnv in checkpoints {
            guard let cp = try? CheckpointPayload(json: cpEnv.payload) else {
                broken(records.count, "a checkpoint is malformed")
                continue
            }
            let at = max(1, cp.size)
            if let e = trust.trustError(keyID: cp.keyID, type: PayloadType.checkpoint, at: cp.issuedAt) {
                broken(at, "checkpoint of size \(cp.size): \(e.message)")
                continue
            }
            guard trust.signatureVerifies(cpEnv) else {
                broken(at, "checkpoint of size \(cp.size): signature does not verify")
                continue
            }
            guard cp.size <= records.count else {
                broken(records.count, "checkpoint of size \(cp.size) is beyond the log (size \(records.count)): entries were removed")
                continue
            }
            if Hex.encode(Merkle.root(leaves, 0..<cp.size)) != cp.rootHash {
                broken(at, "checkpoint of size \(cp.size): root does not match the log")
            } else if cp.size > 0, entryHashes[cp.size - 1] != cp.lastEntryHash {
                broken(at, "checkpoint of size \(cp.size): last_entry_hash does not match")
            }
        }
        // The root: the two top subtrees in parallel.
        let rootHash: Merkle.Hash
        if leaves.count > 1024 {
            let k = Merkle.split(leaves.count)
            let halves = UnsafeMutableBufferPointer<Merkle.Hash>.allocate(capacity: 2)
            halves.initialize(repeating: [])
            defer { halves.deallocate() }
            let halfSlots = HashSlots(UnsafeMutableBufferPointer(start: nil, count: 0), halves)
            _ = runner(2) { i in
                halfSlots.leaves[i] = i == 0 ? Merkle.root(leaves, 0..<k) : Merkle.root(leaves, k..<leaves.count)
                return []
            }
            rootHash = Merkle.nodeHash(halves[0], halves[1])
        } else {
            rootHash = Merkle.root(leaves)
        }
        return Report(valid: problems.isEmpty, size: records.count, rootHash: Hex.encode(rootHash),
                      checkpointsChecked: checkpoints.count, problems: problems)
    }

    /// Sequence numbers, and that no fingerprint or execution appears twice: entry fields only.
    static func orderAndDuplicates(_ records: [AuditRecord]) -> [Problem] {
        var out: [Problem] = []
        func broken(_ seq: Int, _ message: String) { out.append(Problem(seq: seq, code: .auditChainBroken, message: message)) }
        var fingerprints: [String: Int] = [:]
        var seenExecutions: Set<String> = []
        var overridden: Set<String> = []
        fingerprints.reserveCapacity(records.count)
        seenExecutions.reserveCapacity(records.count)
        for (i, r) in records.enumerated() {
            let e = r.entry
            let seq = i + 1
            if e.seq != seq { broken(seq, "entry \(i + 1) has seq \(e.seq): entries are missing or out of order") }
            switch e.kind {
            case .execution:
                guard let fp = e.executionFingerprint, let id = e.executionID else {
                    broken(seq, "an execution entry needs execution_id and execution_fingerprint")
                    break
                }
                if let first = fingerprints[fp] { broken(seq, "fingerprint \(fp) was already executed at seq \(first)") } else { fingerprints[fp] = seq }
                if !seenExecutions.insert(id).inserted { broken(seq, "execution \(id) appears twice") }
            case .override:
                guard let id = e.executionID else { broken(seq, "an override entry needs execution_id"); break }
                if !seenExecutions.contains(id) { broken(seq, "override for execution \(id), which is not earlier in the log") }
                if !overridden.insert(id).inserted { broken(seq, "execution \(id) was overridden twice") }
            case .policyLoaded, .runtimeStarted:
                break
            }
        }
        return out
    }

    /// Checks one record's signature and trust for its kind.
    static func checkRecord(_ r: AuditRecord, _ env: Envelope, _ signedBytes: [UInt8], seq: Int, records: [AuditRecord],
                            executionIndex: [String: Int], trust: TrustStore) -> Problem? {
        func bad(_ m: String) -> Problem { Problem(seq: seq, code: .auditChainBroken, message: m) }
        do {
            switch r.entry.kind {
            case .execution:
                let p = try AttestationPayload(json: env.payload)
                guard p.executionID == r.entry.executionID, p.executionFingerprint == r.entry.executionFingerprint else {
                    return bad("the attestation is for another execution or fingerprint")
                }
                if let e = trust.trustError(keyID: p.keyID, type: PayloadType.attestation, at: p.issuedAt) { return bad(e.message) }
            case .override:
                let o = try OverridePayload(json: env.payload)
                guard o.executionID == r.entry.executionID, let i = executionIndex[o.executionID], i < seq - 1 else {
                    return bad("the override names an execution that is not earlier in the log")
                }
                let attestation = records[i]
                guard o.attestationHash == attestation.entry.recordHash else { return bad("the override names another attestation") }
                let a = try AttestationPayload(json: try Envelope(json: attestation.record).payload)
                guard a.decision.requiresOverride else { return bad("the overridden execution did not require an override") }
                if let e = trust.trustError(keyID: o.keyID, type: PayloadType.override, at: o.resolvedAt, approverID: o.approverID) {
                    return bad(e.message)
                }
            case .policyLoaded:
                guard env.type == PayloadType.policy else { return bad("a policy_loaded record must be a signed policy") }
                if let e = trust.trustError(keyID: env.keyID, type: PayloadType.policy, at: nil) { return bad(e.message) }
            case .runtimeStarted:
                _ = try RuntimeManifest(json: env.payload)
                if let e = trust.trustError(keyID: env.keyID, type: PayloadType.runtimeManifest, at: nil) { return bad(e.message) }
            }
            guard trust.signatureVerifies(env, signedBytes: signedBytes) else {
                return bad("the record's signature does not verify")
            }
            return nil
        } catch {
            return bad("the record is malformed: \(error.message)")
        }
    }
}
