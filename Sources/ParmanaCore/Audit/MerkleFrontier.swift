/// The right edge of an append-only RFC 6962 tree: the hashes of the complete subtrees
/// that cover leaves `0..<size`, one per set bit of `size`, largest first. Enough to
/// append the next leaf and to compute the root, so an adapter keeps no tree in memory:
/// it reads the frontier inside its transaction (``nodes(forSize:)``, O(log n) reads),
/// appends, and stores the nodes each append completes.
public struct MerkleFrontier: Sendable, Equatable {
    public private(set) var size: Int
    /// (node, hash) of each complete subtree on the right edge, largest first.
    public private(set) var subtrees: [(node: MerkleNodeID, hash: Merkle.Hash)]

    public static func == (a: MerkleFrontier, b: MerkleFrontier) -> Bool {
        a.size == b.size && a.subtrees.map(\.node) == b.subtrees.map(\.node) && a.subtrees.map(\.hash) == b.subtrees.map(\.hash)
    }

    /// The empty tree.
    public init() {
        size = 0
        subtrees = []
    }

    /// The frontier of a tree of `size` leaves from its nodes' hashes, in the order of
    /// ``nodes(forSize:)``. Level-0 hashes are leaf hashes.
    public init(size: Int, hashes: [Merkle.Hash]) {
        let ids = MerkleFrontier.nodes(forSize: size)
        precondition(ids.count == hashes.count, "one hash per frontier node")
        self.size = size
        subtrees = Array(zip(ids, hashes)).map { (node: $0.0, hash: $0.1) }
    }

    /// The complete subtrees covering `0..<size`, largest first: one per set bit.
    public static func nodes(forSize size: Int) -> [MerkleNodeID] {
        var out: [MerkleNodeID] = []
        var start = 0
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            out.append(MerkleNodeID(level: level, index: start >> level))
            start += 1 << level
        }
        return out
    }

    /// Appends a leaf hash; returns the interior nodes (level ≥ 1) this completes, to be
    /// stored with the entry.
    @discardableResult
    public mutating func append(leaf: Merkle.Hash) -> [(node: MerkleNodeID, hash: Merkle.Hash)] {
        var completed: [(node: MerkleNodeID, hash: Merkle.Hash)] = []
        var node = MerkleNodeID(level: 0, index: size)
        var hash = leaf
        while let last = subtrees.last, last.node.level == node.level {
            subtrees.removeLast()
            hash = Merkle.nodeHash(last.hash, hash)
            node = MerkleNodeID(level: node.level + 1, index: last.node.index >> 1)
            completed.append((node, hash))
        }
        subtrees.append((node, hash))
        size += 1
        return completed
    }

    /// The tree's root (RFC 6962 MTH), or the empty-tree hash.
    public var root: Merkle.Hash {
        guard var acc = subtrees.last?.hash else { return Merkle.emptyRoot }
        for s in subtrees.dropLast().reversed() { acc = Merkle.nodeHash(s.hash, acc) }
        return acc
    }
}
