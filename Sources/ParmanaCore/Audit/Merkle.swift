import Crypto

/// RFC 6962 §2.1 Merkle tree hashing over audit entry hashes: leaf =
/// SHA-256(0x00 ‖ entry_hash bytes), node = SHA-256(0x01 ‖ left ‖ right).
/// Proof verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.
public enum Merkle {
    public typealias Hash = [UInt8]

    /// SHA-256 of the empty string: the root of an empty tree.
    public static let emptyRoot: Hash = Array(SHA256.hash(data: [UInt8]()))

    /// Leaf hash of raw leaf data (an entry hash's 32 bytes).
    public static func leafHash(_ data: [UInt8]) -> Hash {
        var buf = [UInt8](repeating: 0x00, count: data.count + 1)
        buf.withUnsafeMutableBufferPointer { b in
            for (i, x) in data.enumerated() { b[i + 1] = x }
        }
        return Array(SHA256.hash(data: buf))
    }

    /// Leaf hash of an entry hash given as hex.
    public static func leafHash(entryHash hex: String) -> Hash {
        leafHash(Hex.decode(hex) ?? [])
    }

    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var buf = [UInt8](repeating: 0x01, count: left.count + right.count + 1)
        buf.withUnsafeMutableBufferPointer { b in
            for (i, x) in left.enumerated() { b[i + 1] = x }
            for (i, x) in right.enumerated() { b[i + 1 + left.count] = x }
        }
        return Array(SHA256.hash(data: buf))
    }

    /// Largest power of two smaller than `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH of `leaves[range]`.
    public static func root(_ leaves: [Hash], _ range: Range<Int>? = nil) -> Hash {
        let r = range ?? 0..<leaves.count
        switch r.count {
        case 0: return emptyRoot
        case 1: return leaves[r.lowerBound]
        default:
            let k = split(r.count)
            return nodeHash(root(leaves, r.lowerBound..<(r.lowerBound + k)), root(leaves, (r.lowerBound + k)..<r.upperBound))
        }
    }

    /// The audit path of leaf `index` in the tree of `leaves[range]` (RFC 6962 PATH).
    public static func inclusionProof(_ index: Int, _ leaves: [Hash], _ range: Range<Int>? = nil) -> [Hash] {
        let r = range ?? 0..<leaves.count
        guard r.count > 1 else { return [] }
        let k = split(r.count)
        let mid = r.lowerBound + k
        if index < k {
            return inclusionProof(index, leaves, r.lowerBound..<mid) + [root(leaves, mid..<r.upperBound)]
        }
        return inclusionProof(index - k, leaves, mid..<r.upperBound) + [root(leaves, r.lowerBound..<mid)]
    }

    /// The consistency proof from size `m` to the tree of `leaves` (RFC 6962 PROOF).
    public static func consistencyProof(_ m: Int, _ leaves: [Hash]) -> [Hash] {
        guard m > 0, m < leaves.count else { return [] }
        return subproof(m, leaves, 0..<leaves.count, true)
    }

    static func subproof(_ m: Int, _ leaves: [Hash], _ r: Range<Int>, _ complete: Bool) -> [Hash] {
        let n = r.count
        if m == n { return complete ? [] : [root(leaves, r)] }
        let k = split(n)
        let mid = r.lowerBound + k
        if m <= k {
            return subproof(m, leaves, r.lowerBound..<mid, complete) + [root(leaves, mid..<r.upperBound)]
        }
        return subproof(m - k, leaves, mid..<r.upperBound, false) + [root(leaves, r.lowerBound..<mid)]
    }

    /// RFC 9162 §2.1.3.2: whether `proof` shows `leaf` at `index` in a tree of `size`
    /// with root `root`.
    public static func verifyInclusion(leaf: Hash, index: Int, size: Int, proof: [Hash], root: Hash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leaf
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree of size `first` with root
    /// `firstRoot` is a prefix of the tree of size `second` with root `secondRoot`.
    public static func verifyConsistency(first: Int, second: Int, proof: [Hash], firstRoot: Hash, secondRoot: Hash) -> Bool {
        guard first > 0, first <= second else { return false }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        var path = proof
        // If first is an exact power of two, prepend firstRoot.
        if first & (first - 1) == 0 { path.insert(firstRoot, at: 0) }
        guard !path.isEmpty else { return false }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == firstRoot && sr == secondRoot
    }
}
