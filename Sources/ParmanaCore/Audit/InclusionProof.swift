/// Proof that one audit entry is in the log at a signed checkpoint (SPEC §11, §12):
///
/// ```json
/// {"type": "parmana.inclusion-proof/v1", "leaf_index": 4, "tree_size": 9,
///  "entry": {...}, "audit_path": ["<hex>", ...], "checkpoint": {"payload": {...}, "signature": "..."}}
/// ```
/// `leaf_index` is `seq - 1`. A verifier recomputes the entry hash, walks the path to
/// the root, and checks it against the checkpoint, which a `checkpoint` key signed.
public struct InclusionProof: Sendable {
    public var leafIndex: Int
    public var treeSize: Int
    public var entry: AuditEntry
    public var auditPath: [Merkle.Hash]
    public var checkpoint: Envelope

    public static let type = "parmana.inclusion-proof/v1"

    public init(leafIndex: Int, treeSize: Int, entry: AuditEntry, auditPath: [Merkle.Hash], checkpoint: Envelope) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.entry = entry
        self.auditPath = auditPath
        self.checkpoint = checkpoint
    }

    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, code: .invalidProof)
        _ = try r.oneOf("type", [InclusionProof.type])
        leafIndex = try r.integer("leaf_index")
        treeSize = try r.integer("tree_size")
        entry = try AuditEntry(json: try r.required("entry"))
        var path: [Merkle.Hash] = []
        for v in try r.array("audit_path") {
            guard let s = v.stringValue, Hashing.isHashHex(s), let h = Hex.decode(s) else {
                throw r.error("audit_path", "expected 64-hex hashes")
            }
            path.append(h)
        }
        auditPath = path
        checkpoint = try Envelope(json: try r.required("checkpoint"))
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(InclusionProof.type), "leaf_index": .number(Double(leafIndex)),
            "tree_size": .number(Double(treeSize)), "entry": entry.json,
            "audit_path": .array(auditPath.map { .string(Hex.encode($0)) }), "checkpoint": checkpoint.json,
        ]
    }

    /// Checks the proof against the trust store. Returns nil when it holds, or why not.
    public func check(recordHash: String, trust: TrustStore) -> ParmanaError? {
        guard entry.recordHash == recordHash else {
            return ParmanaError(.invalidProof, "the proof's entry records another artifact")
        }
        guard leafIndex == entry.seq - 1 else { return ParmanaError(.invalidProof, "leaf_index does not match the entry's seq") }
        let cp: CheckpointPayload
        do { cp = try CheckpointPayload(json: checkpoint.payload) } catch { return error }
        if let e = trust.trustError(keyID: cp.keyID, type: PayloadType.checkpoint, at: cp.issuedAt) { return e }
        guard trust.signatureVerifies(checkpoint) else {
            return ParmanaError(.invalidSignature, "the checkpoint signature does not verify")
        }
        guard cp.size == treeSize, let root = Hex.decode(cp.rootHash) else {
            return ParmanaError(.invalidProof, "the checkpoint is for another tree size")
        }
        let leaf = Merkle.leafHash(entryHash: entry.entryHash)
        guard Merkle.verifyInclusion(leaf: leaf, index: leafIndex, size: treeSize, proof: auditPath, root: root) else {
            return ParmanaError(.invalidProof, "the audit path does not lead to the checkpoint's root")
        }
        return nil
    }
}
