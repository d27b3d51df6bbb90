import Foundation
import ParmanaCore
import ParmanaTesting
import Testing

/// Merkle math against RFC 6962 reference values computed by an independent Python
/// model (interop/make_merkle_vectors.py → Vectors/merkle/rfc6962.json).
@Suite struct MerkleTests {
    static let doc: JSONValue = try! JSONParser(maxBytes: 8 << 20).parse(try! readFile(RepoPaths.vector("merkle/rfc6962.json")))
    static let leaves: [Merkle.Hash] = doc["leaf_data"]!.arrayValue!.map { Merkle.leafHash(Hex.decode($0.stringValue!)!) }

    static func hashes(_ v: JSONValue?) -> [Merkle.Hash] { (v?.arrayValue ?? []).map { Hex.decode($0.stringValue!)! } }

    @Test func rootsInclusionAndConsistencyMatchTheReference() {
        var checked = 0
        for t in Self.doc["trees"]!.arrayValue! {
            let n = Int(t["size"]!.numberValue!)
            let leaves = Array(Self.leaves.prefix(n))
            let root = Merkle.root(leaves)
            #expect(Hex.encode(root) == t["root"]?.stringValue, "root of \(n)")
            for inc in t["inclusion"]!.arrayValue! {
                let m = Int(inc["index"]!.numberValue!)
                let expected = Self.hashes(inc["path"])
                #expect(Merkle.inclusionProof(m, leaves) == expected, "path \(m) of \(n)")
                #expect(Merkle.verifyInclusion(leaf: leaves[m], index: m, size: n, proof: expected, root: root))
                checked += 1
            }
            for c in t["consistency"]!.arrayValue! {
                let m = Int(c["first"]!.numberValue!)
                let expected = Self.hashes(c["proof"])
                #expect(Merkle.consistencyProof(m, leaves) == expected, "proof \(m)→\(n)")
                let firstRoot = Hex.decode(c["first_root"]!.stringValue!)!
                #expect(Merkle.verifyConsistency(first: m, second: n, proof: expected, firstRoot: firstRoot, secondRoot: root))
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    @Test func badProofsFail() {
        let leaves = Array(Self.leaves.prefix(11))
        let root = Merkle.root(leaves)
        var proof = Merkle.inclusionProof(5, leaves)
        #expect(Merkle.verifyInclusion(leaf: leaves[5], index: 5, size: 11, proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(leaf: leaves[6], index: 5, size: 11, proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(leaf: leaves[5], index: 4, size: 11, proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(leaf: leaves[5], index: 5, size: 100, proof: proof, root: root))  // path length does not fit
        #expect(!Merkle.verifyInclusion(leaf: leaves[5], index: 5, size: 11, proof: Array(proof.dropLast()), root: root))
        proof[0][0] ^= 1
        #expect(!Merkle.verifyInclusion(leaf: leaves[5], index: 5, size: 11, proof: proof, root: root))
        let c = Merkle.consistencyProof(6, leaves)
        let r6 = Merkle.root(Array(leaves.prefix(6)))
        #expect(Merkle.verifyConsistency(first: 6, second: 11, proof: c, firstRoot: r6, secondRoot: root))
        #expect(!Merkle.verifyConsistency(first: 6, second: 11, proof: c, firstRoot: Merkle.root(Array(leaves.prefix(5))), secondRoot: root))
        #expect(!Merkle.verifyConsistency(first: 7, second: 11, proof: c, firstRoot: r6, secondRoot: root))
        #expect(!Merkle.verifyConsistency(first: 6, second: 11, proof: Array(c.dropFirst()), firstRoot: r6, secondRoot: root))
    }

    /// A chain resumed from the head an adapter stored (size, last entry hash, frontier
    /// hashes) appends exactly as the chain it was stored from; a head that does not fit
    /// its size is refused.
    @Test func aChainResumesFromItsStoredHead() throws {
        var original = AuditChain()
        for size in 0...70 {
            let resumed = try AuditChain.resume(size: original.size, lastEntryHash: original.lastEntryHash,
                                                frontier: original.frontier.subtrees.map(\.hash))
            var a = original, b = resumed
            let t = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(size))
            let x = a.append(kind: .runtimeStarted, executionID: nil, fingerprint: nil, recordHash: String(repeating: "a", count: 64), at: t)
            let y = b.append(kind: .runtimeStarted, executionID: nil, fingerprint: nil, recordHash: String(repeating: "a", count: 64), at: t)
            #expect(x.entryHash == y.entryHash && a.rootHash == b.rootHash && x.nodes.map(\.hash) == y.nodes.map(\.hash), "size \(size)")
            original = a
        }
        let hashes = original.frontier.subtrees.map(\.hash)
        #expect(throws: ParmanaError.self) { try AuditChain.resume(size: original.size + 1, lastEntryHash: original.lastEntryHash, frontier: hashes) }
        #expect(throws: ParmanaError.self) { try AuditChain.resume(size: original.size, lastEntryHash: [1, 2], frontier: hashes) }
        #expect(throws: ParmanaError.self) { try AuditChain.resume(size: original.size, lastEntryHash: original.lastEntryHash, frontier: hashes.map { Array($0.prefix(31)) }) }
    }
}
