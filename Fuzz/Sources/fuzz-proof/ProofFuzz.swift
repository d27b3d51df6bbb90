// Inclusion and consistency proof verification.
// Input, by its first byte:
// - `{` or `!`: an inclusion proof document (`InclusionProof(json:)` then `check`),
//   with `!` re-signing its checkpoint by the harness key it names. Without re-signing,
//   a proof that checks must prove an entry of the harness's log (the checkpoint is one
//   the harness signed, so the root is honest): same entry hash at that leaf index.
// - anything else: binary Merkle cases on a tree of deterministic leaves:
//   byte 1 = tree size N (1…255), then little-endian Int64 index / first / second and
//   fuzzed 32-byte hashes. Checks: the O(log n) proofs from stored nodes
//   (`MerkleProofs`) equal the in-memory ones (`Merkle`); honest proofs verify; a
//   fuzzed proof that verifies against an honest root is the honest proof; fuzzed
//   sizes and indexes (negative, huge) never trap.
import FuzzSupport
import ParmanaCore

let world = World.shared
let trust = Harness.trust
let leaves: [Merkle.Hash] = (0..<256).map { Merkle.leafHash(Array("leaf \($0)".utf8)) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    Fuzz.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for c in world.cases {
            guard let p = c.proof else { continue }
            seeds.append(("\(c.name).json", CanonicalJSON.bytes(p.json)))
            seeds.append(("\(c.name)-resign.json", Array("!".utf8) + CanonicalJSON.bytes(p.json)))
        }
        for n in [1, 2, 3, 7, 8, 13, 64, 70] {
            for i in Set([0, n / 2, n - 1]) {
                let path = Merkle.inclusionProof(i, Array(leaves[0..<n]))
                var b: [UInt8] = [0x01, UInt8(n)]
                for v in [Int64(i), Int64(max(1, n / 3)), Int64(n)] { b += withUnsafeBytes(of: v.littleEndian, Array.init) }
                for h in path { b += h }
                seeds.append(("merkle-\(n)-\(i).bin", b))
            }
        }
        return seeds
    }
    return 0
}

struct Reader {
    var bytes: ArraySlice<UInt8>
    mutating func int() -> Int {
        var v: Int64 = 0
        for k in 0..<8 { v |= Int64(bytes.popFirst() ?? 0) << (8 * Int64(k)) }
        return Int(v)
    }
    mutating func hashes() -> [Merkle.Hash] {
        var out: [Merkle.Hash] = []
        while bytes.count >= 32 {
            out.append(Array(bytes.prefix(32)))
            bytes = bytes.dropFirst(32)
        }
        if !bytes.isEmpty { out.append(Array(bytes)) }  // a short hash, too
        return out
    }
}

func inclusionDocument(_ bytes: [UInt8]) {
    let resign = bytes.first == UInt8(ascii: "!")
    guard var json = try? JSONParser().parse(resign ? bytes.dropFirst() : bytes[...]) else { return }
    if resign { json = Harness.resign(json) }
    guard let proof = try? InclusionProof(json: json) else { return }
    _ = CanonicalJSON.bytes(proof.json)
    for recordHash in [proof.entry.recordHash, String(repeating: "0", count: 64)] {
        guard proof.check(recordHash: recordHash, trust: trust) == nil else { continue }
        if resign { continue }
        guard let root = world.checkpoints[proof.treeSize] else {
            Fuzz.fail("an inclusion proof checks against tree size \(proof.treeSize), which the harness never checkpointed")
        }
        guard proof.leafIndex >= 0, proof.leafIndex < world.entryHashes.count,
              world.entryHashes[proof.leafIndex] == proof.entry.entryHash else {
            Fuzz.fail("unsound inclusion: entry \(proof.entry.entryHash) at leaf \(proof.leafIndex) checks against root \(root), but the log has another entry there")
        }
    }
}

func merkle(_ bytes: [UInt8]) {
    guard bytes.count >= 2 else { return }
    let n = max(1, Int(bytes[1]))
    var r = Reader(bytes: bytes.dropFirst(2))
    let index = r.int(), first = r.int(), second = r.int()
    let fuzzed = r.hashes()
    let tree = Array(leaves[0..<n])
    let fetch: MerkleProofs.Fetch = { id throws(ParmanaError) in
        id.level == 0 ? tree[id.index] : Merkle.root(tree, id.leaves)
    }
    let root = Merkle.root(tree)
    guard (try? MerkleProofs.root(size: n, fetch: fetch)) == root else { Fuzz.fail("MerkleProofs.root differs from Merkle.root for size \(n)") }

    // Inclusion: the honest path, from both implementations, and the fuzzed one.
    do {
        let index = ((index % n) + n) % n  // in range; the raw value is tried below
        let honest = Merkle.inclusionProof(index, tree)
        guard (try? MerkleProofs.inclusionPath(index: index, size: n, fetch: fetch)) == honest else {
            Fuzz.fail("MerkleProofs.inclusionPath differs from Merkle.inclusionProof for \(index) of \(n)")
        }
        if !Merkle.verifyInclusion(leaf: tree[index], index: index, size: n, proof: honest, root: root) {
            Fuzz.fail("the honest inclusion proof of \(index) in \(n) does not verify")
        }
        if Merkle.verifyInclusion(leaf: tree[index], index: index, size: n, proof: fuzzed, root: root), fuzzed != honest {
            Fuzz.fail("unsound inclusion: a fuzzed path for leaf \(index) of \(n) verifies against the honest root")
        }
        if let leaf = fuzzed.first, Merkle.verifyInclusion(leaf: leaf, index: index, size: n, proof: Array(fuzzed.dropFirst()), root: root),
           leaf != tree[index] || Array(fuzzed.dropFirst()) != honest {
            Fuzz.fail("unsound inclusion: a fuzzed leaf and path for \(index) of \(n) verify against the honest root")
        }
    }
    // Whatever the index and size (negative, huge), verification answers without trapping.
    _ = Merkle.verifyInclusion(leaf: fuzzed.first ?? root, index: index, size: second, proof: fuzzed, root: root)
    _ = Merkle.verifyConsistency(first: first, second: second, proof: fuzzed, firstRoot: fuzzed.first ?? root, secondRoot: root)
    _ = Merkle.verifyInclusion(leaf: tree[0], index: index, size: first, proof: fuzzed, root: root)

    // Consistency between two honest trees.
    let m = first >= 1 && first <= n ? first : 1 + abs(first % n)
    let firstRoot = Merkle.root(Array(tree[0..<m]))
    let honest = Merkle.consistencyProof(m, tree)
    guard (try? MerkleProofs.consistencyProof(first: m, second: n, fetch: fetch)) == honest else {
        Fuzz.fail("MerkleProofs.consistencyProof differs from Merkle.consistencyProof for \(m) → \(n)")
    }
    if !Merkle.verifyConsistency(first: m, second: n, proof: honest, firstRoot: firstRoot, secondRoot: root) {
        Fuzz.fail("the honest consistency proof \(m) → \(n) does not verify")
    }
    if Merkle.verifyConsistency(first: m, second: n, proof: fuzzed, firstRoot: firstRoot, secondRoot: root), fuzzed != honest {
        Fuzz.fail("unsound consistency: a fuzzed proof for \(m) → \(n) verifies against the honest roots")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProof(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    guard let first = bytes.first else { return 0 }
    if first == UInt8(ascii: "{") || first == UInt8(ascii: "!") { inclusionDocument(bytes) } else { merkle(bytes) }
    return 0
}
