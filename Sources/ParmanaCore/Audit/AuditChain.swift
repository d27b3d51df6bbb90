/// The append math of the audit log (SPEC §11, §16), once for every back end: the hash
/// chain (`seq`, `prev_hash`, `entry_hash`) and the Merkle frontier.
///
/// An adapter resumes a chain **inside its write transaction** from what it has stored
/// (``resume(size:lastEntryHash:storedHashes:)``: the head entry hash and the O(log n)
/// frontier nodes of ``nodesToResume(size:)``), appends, and stores each
/// ``Appended`` (the entry, its hash, and the interior tree nodes it completed) in the
/// same transaction. It never keeps the head across transactions, so another process or
/// node appending to the same log can never make it stale.
public struct AuditChain: Sendable {
    public private(set) var frontier: MerkleFrontier
    /// The entry hash of the last entry (64 zeros' bytes for an empty log).
    public private(set) var lastEntryHash: [UInt8]

    /// Number of entries; the next entry's seq is `size + 1`.
    public var size: Int { frontier.size }

    /// An empty log.
    public init() {
        frontier = MerkleFrontier()
        lastEntryHash = [UInt8](repeating: 0, count: 32)
    }

    /// The stored hashes an adapter reads to resume a log of `size` entries: the
    /// frontier's complete subtrees, a level-1 subtree as its two leaves (level 1 is not
    /// stored, ``MerkleProofs/lowestStoredInteriorLevel``). A level-0 node's stored hash
    /// is its entry hash.
    public static func nodesToResume(size: Int) -> [MerkleNodeID] {
        MerkleFrontier.nodes(forSize: size).flatMap { id -> [MerkleNodeID] in
            id.level == 1 ? [MerkleNodeID(level: 0, index: 2 * id.index), MerkleNodeID(level: 0, index: 2 * id.index + 1)] : [id]
        }
    }

    /// Resumes from stored values. `storedHashes` follow ``nodesToResume(size:)``:
    /// entry hashes at level 0, interior node hashes above.
    public static func resume(size: Int, lastEntryHash: [UInt8], storedHashes: [[UInt8]]) throws(ParmanaError) -> AuditChain {
        let ids = nodesToResume(size: size)
        guard storedHashes.count == ids.count, lastEntryHash.count == 32, storedHashes.allSatisfy({ $0.count == 32 }) else {
            throw ParmanaError(.storeUnavailable, "the stored log head is incomplete (size \(size))")
        }
        var hashes: [Merkle.Hash] = []
        var i = 0
        for id in MerkleFrontier.nodes(forSize: size) {
            if id.level == 1 {
                hashes.append(Merkle.nodeHash(Merkle.leafHash(storedHashes[i]), Merkle.leafHash(storedHashes[i + 1])))
                i += 2
            } else {
                hashes.append(id.level == 0 ? Merkle.leafHash(storedHashes[i]) : storedHashes[i])
                i += 1
            }
        }
        var chain = AuditChain()
        chain.frontier = MerkleFrontier(size: size, hashes: hashes)
        chain.lastEntryHash = size == 0 ? [UInt8](repeating: 0, count: 32) : lastEntryHash
        return chain
    }

    /// One appended entry and what the adapter stores for it.
    public struct Appended: Sendable {
        public var entry: AuditEntry
        /// `sha256(JCS(entry))`, 32 bytes.
        public var entryHash: [UInt8]
        /// Interior nodes completed by this entry that a store keeps (level ≥
        /// ``MerkleProofs/lowestStoredInteriorLevel``).
        public var nodes: [(node: MerkleNodeID, hash: Merkle.Hash)]
    }

    /// Appends the next entry for a record whose `sha256(JCS(record))` is `recordHash`.
    public mutating func append(kind: AuditKind, executionID: String?, fingerprint: String?, recordHash: String,
                                at time: Timestamp) -> Appended {
        let entry = AuditEntry(seq: size + 1, kind: kind, executionID: executionID, executionFingerprint: fingerprint,
                               recordHash: recordHash, prevHash: size == 0 ? AuditEntry.genesisHash : Hex.encode(lastEntryHash),
                               recordedAt: time)
        let hash = Hashing.sha256(entry.canonicalBytes)
        let nodes = frontier.append(leaf: Merkle.leafHash(hash)).filter { $0.node.level >= MerkleProofs.lowestStoredInteriorLevel }
        lastEntryHash = hash
        return Appended(entry: entry, entryHash: hash, nodes: nodes)
    }

    /// The root of the log as it stands.
    public var rootHash: Merkle.Hash { frontier.root }
}
