import Foundation
import ParmanaCore
import ParmanaRuntime
import Testing

/// The conformance suite of the ``AuditLogReader`` port: entries and their derived
/// fields, tree hashes that give RFC 6962 roots and proofs in O(log n) reads, events and
/// checkpoints. Run by every back end on a store it fills through ``EvidenceStore``.
public struct AuditLogReaderConformance: Sendable {
    public var make: @Sendable () async throws -> any EvidenceStore

    public init(make: @escaping @Sendable () async throws -> any EvidenceStore) { self.make = make }

    typealias D = ConformanceData

    public func runAll() async throws {
        try await entriesChainAndPages()
        try await treeHashesGiveRootsAndProofs()
        try await checkpointsNewestFirst()
    }

    public func entriesChainAndPages() async throws {
        let store = try await make()
        #expect(try await store.size() == 0)
        #expect(try await store.entries(from: 1, limit: 10).isEmpty)
        for n in 1...12 { _ = try await store.commit(D.commit(200 + n, requiresOverride: n % 2 == 0)) }
        _ = try await store.append(event: .policyLoaded, record: D.fixture.manifest.bytes, at: D.t0)
        let all = try await store.allEntries()
        let size = try await store.size()
        #expect(all.count == 13 && size == 13)
        var prev = AuditEntry.genesisHash
        for r in all {
            #expect(r.entry.prevHash == prev)
            #expect(r.entry.recordHash == Hashing.sha256Hex(r.recordBytes))
            #expect(r.storedEntryHash.map(Hex.encode) == r.entry.entryHash)
            prev = r.entry.entryHash
        }
        let some = try await store.entries(from: 5, limit: 3)
        #expect(some.map(\.entry.seq) == [5, 6, 7])
        #expect(some.first?.entry.prevHash == all[3].entry.entryHash)
        #expect(try await store.entries(from: 14, limit: 3).isEmpty)
        #expect(try await store.lastEvent(.policyLoaded)?.entry.seq == 13)
        #expect(try await store.lastEvent(.runtimeStarted) == nil)
        await store.close()
    }

    /// Roots and proofs computed from the stored nodes equal those over all leaves, for
    /// every size and index of a 70-entry log.
    public func treeHashesGiveRootsAndProofs() async throws {
        let store = try await make()
        for n in 1...70 { _ = try await store.commit(D.commit(400 + n)) }
        let leaves = try await store.allEntries().map { Merkle.leafHash(entryHash: $0.entry.entryHash) }
        func fetch(_ ids: [MerkleNodeID]) async throws(ParmanaError) -> [MerkleNodeID: Merkle.Hash] {
            let stored: [MerkleNodeID: [UInt8]]
            do { stored = try await store.treeHashes(ids) } catch { throw ParmanaError(error) }
            return stored.reduce(into: [:]) { $0[$1.key] = $1.key.level == 0 ? Merkle.leafHash($1.value) : $1.value }
        }
        for size in [1, 2, 3, 7, 8, 13, 32, 33, 64, 70] {
            let root = try await MerkleProofs.compute({ (f) throws(ParmanaError) in try MerkleProofs.root(size: size, fetch: f) }, fetch: fetch)
            #expect(root == Merkle.root(Array(leaves.prefix(size))), "root of \(size)")
            for index in Set([0, size / 2, size - 1]) {
                let path = try await MerkleProofs.compute({ (f) throws(ParmanaError) in
                    try MerkleProofs.inclusionPath(index: index, size: size, fetch: f)
                }, fetch: fetch)
                #expect(path == Merkle.inclusionProof(index, Array(leaves.prefix(size))), "path \(index) of \(size)")
                #expect(MerkleProofs.plan { (f) throws(ParmanaError) in try MerkleProofs.inclusionPath(index: index, size: size, fetch: f) }.count <= 3 * 7 + 2, "O(log n) reads")
            }
            if size > 1 {
                for first in [1, size / 2, size - 1] where first >= 1 {
                    let proof = try await MerkleProofs.compute({ (f) throws(ParmanaError) in
                        try MerkleProofs.consistencyProof(first: first, second: size, fetch: f)
                    }, fetch: fetch)
                    #expect(proof == Merkle.consistencyProof(first, Array(leaves.prefix(size))), "consistency \(first)→\(size)")
                }
            }
        }
        let beyond = try await store.treeHashes([MerkleNodeID(level: 0, index: 70), MerkleNodeID(level: 3, index: 9)])
        #expect(beyond.isEmpty)
        await store.close()
    }

    public func checkpointsNewestFirst() async throws {
        let store = try await make()
        #expect(try await store.latestCheckpoint() == nil)
        var made: [Envelope] = []
        for n in 1...3 {
            _ = try await store.commit(D.commit(300 + n))
            let entries = try await store.allEntries()
            let cp = CheckpointPayload(logID: "test", size: n, rootHash: Hex.encode(Merkle.root(entries.map { Merkle.leafHash(entryHash: $0.entry.entryHash) })),
                                       lastEntryHash: entries[n - 1].entry.entryHash, issuedAt: D.t0, keyID: D.fixture.checkpointKey.keyID)
            let env = Envelope.sign(cp.json, with: D.fixture.checkpointKey)
            try await store.add(checkpoint: env)
            made.append(env)
        }
        #expect(try await store.checkpoints() == made)
        #expect(try await store.latestCheckpoint() == made.last)
        let report = try await D.verify(store)
        #expect(report.valid && report.checkpointsChecked == 3, "\(report.problems)")
        await store.close()
    }
}
