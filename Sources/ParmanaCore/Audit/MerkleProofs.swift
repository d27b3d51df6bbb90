/// Roots and proofs (RFC 6962 §2.1) computed from stored complete-subtree hashes, so
/// each costs O(log n) node reads and O(log n) hashing (SPEC §16.1).
///
/// Every function takes a `fetch` that returns the hash of a ``MerkleNodeID`` (level 0:
/// the leaf hash). The control flow never depends on hash values, so ``plan(_:)`` can
/// first run a computation with a recording fetch to learn which nodes it needs, and a
/// store can then read them all at once (``compute(_:fetch:)``).
public enum MerkleProofs {
    public typealias Fetch = (MerkleNodeID) throws(ParmanaError) -> Merkle.Hash

    /// Level-1 nodes are not stored: each is two leaf reads away, and storing them would
    /// cost half a node per entry. Levels ≥ 2 are stored (a quarter node per entry, in all).
    public static let lowestStoredInteriorLevel = 2

    /// MTH of `leaves[range]` where `range.lowerBound` is a multiple of the largest power
    /// of two below `range.count` (true of every range RFC 6962's recursion visits).
    static func subtreeHash(_ range: Range<Int>, _ fetch: Fetch) throws(ParmanaError) -> Merkle.Hash {
        let n = range.count
        if n == 0 { return Merkle.emptyRoot }
        let level = n.trailingZeroBitCount
        if n & (n - 1) == 0, level == 0 || level >= lowestStoredInteriorLevel {
            return try fetch(MerkleNodeID(level: level, index: range.lowerBound >> level))
        }
        let k = Merkle.split(n)
        return Merkle.nodeHash(try subtreeHash(range.lowerBound..<(range.lowerBound + k), fetch),
                               try subtreeHash((range.lowerBound + k)..<range.upperBound, fetch))
    }

    /// The root of the tree of the first `size` leaves.
    public static func root(size: Int, fetch: Fetch) throws(ParmanaError) -> Merkle.Hash {
        try subtreeHash(0..<size, fetch)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 PATH).
    public static func inclusionPath(index: Int, size: Int, fetch: Fetch) throws(ParmanaError) -> [Merkle.Hash] {
        precondition(index >= 0 && index < size)
        var path: [Merkle.Hash] = []
        var range = 0..<size
        var m = index
        // Walk down from the root; siblings are collected top-down and returned bottom-up.
        while range.count > 1 {
            let k = Merkle.split(range.count)
            let mid = range.lowerBound + k
            if m < k {
                path.append(try subtreeHash(mid..<range.upperBound, fetch))
                range = range.lowerBound..<mid
            } else {
                path.append(try subtreeHash(range.lowerBound..<mid, fetch))
                range = mid..<range.upperBound
                m -= k
            }
        }
        return path.reversed()
    }

    /// The consistency proof from size `first` to size `second` (RFC 6962 PROOF).
    public static func consistencyProof(first: Int, second: Int, fetch: Fetch) throws(ParmanaError) -> [Merkle.Hash] {
        precondition(first >= 0 && first <= second)
        guard first > 0, first < second else { return [] }
        var proof: [Merkle.Hash] = []
        var range = 0..<second
        var m = first
        var complete = true
        while true {
            let n = range.count
            if m == n {
                if !complete { proof.append(try subtreeHash(range, fetch)) }
                break
            }
            let k = Merkle.split(n)
            let mid = range.lowerBound + k
            if m <= k {
                proof.append(try subtreeHash(mid..<range.upperBound, fetch))
                range = range.lowerBound..<mid
            } else {
                proof.append(try subtreeHash(range.lowerBound..<mid, fetch))
                range = mid..<range.upperBound
                m -= k
                complete = false
            }
        }
        return proof.reversed()
    }

    /// The nodes a computation reads.
    public static func plan<T>(_ computation: (Fetch) throws(ParmanaError) -> T) -> [MerkleNodeID] {
        var seen: Set<MerkleNodeID> = []
        _ = try? computation { id throws(ParmanaError) in
            seen.insert(id)
            return Merkle.emptyRoot
        }
        return seen.sorted()
    }

    /// Runs a computation over hashes fetched in one batch: `fetch` receives every node
    /// the computation needs and returns their hashes (level 0: leaf hashes).
    public static func compute<T>(_ computation: (Fetch) throws(ParmanaError) -> T,
                                  fetch: ([MerkleNodeID]) async throws(ParmanaError) -> [MerkleNodeID: Merkle.Hash]) async throws(ParmanaError) -> T {
        let needed = plan(computation)
        let hashes = try await fetch(needed)
        return try computation { id throws(ParmanaError) in
            guard let h = hashes[id] else { throw ParmanaError(.storeUnavailable, "the store has no tree node \(id)") }
            return h
        }
    }
}
