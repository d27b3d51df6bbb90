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
}
