/// A complete subtree of the log's RFC 6962 tree: the `2^level` leaves starting at
/// `index · 2^level`. Level 0 is one leaf. Stores keep the hashes of these nodes so
/// that roots and proofs cost O(log n) reads (SPEC §16.1).
public struct MerkleNodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var level: Int
    public var index: Int

    public init(level: Int, index: Int) {
        self.level = level
        self.index = index
    }

    /// The leaves it covers.
    public var leaves: Range<Int> { (index << level)..<((index + 1) << level) }

    /// One integer per node, for stores keyed by integers: `level · 2^48 + index`
    /// (levels below 64, indexes below 2^48).
    public var key: Int64 { Int64(level) << 48 | Int64(index) }

    public init(key: Int64) {
        level = Int(key >> 48)
        index = Int(key & ((1 << 48) - 1))
    }

    public static func < (a: MerkleNodeID, b: MerkleNodeID) -> Bool { a.key < b.key }

    public var description: String { "(\(level), \(index))" }
}
