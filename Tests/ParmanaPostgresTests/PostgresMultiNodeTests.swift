import Foundation
import ParmanaCore
import ParmanaPostgres
import ParmanaRuntime
import ParmanaTesting
import Testing

/// Topology B (SPEC §17.2): several nodes — separate stores with pools of their own —
/// append to one log in one database.
@Suite struct PostgresMultiNodeTests {
    typealias D = ConformanceData

    /// 128 concurrent commits over three nodes: 64 distinct fingerprints, and 64 commits of
    /// one identical fingerprint, of which exactly one wins. Then overrides of pending
    /// executions through other nodes than the ones that recorded them. The log verifies
    /// (chain continuous, no gaps, projection matches) and proofs from stored tree hashes
    /// equal the in-memory ones.
    @Test func threeNodesAppendToOneLog() async throws {
        try await PostgresTestDatabases.with { dbs in
            let config = try await dbs.create()
            let nodes = try await withThrowingTaskGroup(of: PostgresEvidenceStore.self) { g in
                for _ in 0..<3 { g.addTask { try await PostgresEvidenceStore.open(config) } }
                var all: [PostgresEvidenceStore] = []
                for try await s in g { all.append(s) }
                return all
            }
            let contested: JSONValue = ["payment_id": "contested", "amount": 1]
            let distinct = (0..<64).map { D.commit(2000 + $0, requiresOverride: $0 % 8 == 0) }
            let same = (0..<64).map { D.commit(3000 + $0, signals: contested) }
            let outcomes = try await withThrowingTaskGroup(of: (Int, ExecutionCommitOutcome).self) { g in
                for i in 0..<128 {
                    g.addTask {
                        let c = i % 2 == 0 ? distinct[i / 2] : same[i / 2]
                        return (i, try await nodes[i % 3].commit(c))
                    }
                }
                var all: [Int: ExecutionCommitOutcome] = [:]
                for try await (i, o) in g { all[i] = o }
                return all
            }
            func seq(_ o: ExecutionCommitOutcome?) -> Int? { if case .committed(let s)? = o { return s }; return nil }
            let distinctSeqs = (0..<64).compactMap { seq(outcomes[2 * $0]) }
            #expect(distinctSeqs.count == 64, "every distinct fingerprint is consumed")
            let winners = (0..<64).filter { seq(outcomes[2 * $0 + 1]) != nil }
            #expect(winners.count == 1, "exactly one winner of 64 identical fingerprints")
            let winner = same[winners.first ?? 0].executionID
            #expect((0..<64).filter { outcomes[2 * $0 + 1] == .replay(executionID: winner) }.count == 63)
            let seqs = distinctSeqs + winners.compactMap { seq(outcomes[2 * $0 + 1]) }
            #expect(Set(seqs) == Set(1...65), "seqs are 1...65 without gaps or repeats")
            for node in nodes {
                #expect(try await node.size() == 65)
                #expect(try await node.consumer(of: Hashing.fingerprint(contested)) == winner)
            }

            // Overrides of pending executions, each through a node other than the one that recorded it.
            let pending = distinct.enumerated().filter { $0.offset % 8 == 0 }
            try await withThrowingTaskGroup(of: ResolutionCommitOutcome.self) { g in
                for (n, c) in pending {
                    g.addTask { try await nodes[(2 * n + 1) % 3].commit(D.override(c)) }
                }
                for try await o in g { if case .committed = o {} else { Issue.record("override not committed: \(o)") } }
            }
            #expect(try await nodes[2].pending(PendingQuery()).isEmpty)
            #expect(try await nodes[0].size() == 65 + pending.count)

            for node in nodes {
                let report = try await D.verify(node)
                #expect(report.valid, "\(report.problems)")
            }

            // Proofs from each node's stored tree hashes equal those over all leaves.
            let entries = try await nodes[0].allEntries()
            #expect(entries.map(\.entry.seq) == Array(1...entries.count))
            let leaves = entries.map { Merkle.leafHash(entryHash: $0.entry.entryHash) }
            for (k, node) in nodes.enumerated() {
                func fetch(_ ids: [MerkleNodeID]) async throws(ParmanaError) -> [MerkleNodeID: Merkle.Hash] {
                    let stored: [MerkleNodeID: [UInt8]]
                    do { stored = try await node.treeHashes(ids) } catch { throw ParmanaError(error) }
                    return stored.reduce(into: [:]) { $0[$1.key] = $1.key.level == 0 ? Merkle.leafHash($1.value) : $1.value }
                }
                for size in [1, 2, 5, 32, 64, 65, leaves.count] {
                    let root = try await MerkleProofs.compute({ (f) throws(ParmanaError) in try MerkleProofs.root(size: size, fetch: f) }, fetch: fetch)
                    #expect(root == Merkle.root(Array(leaves.prefix(size))), "node \(k): root of \(size)")
                    for index in Set([0, size / 2, size - 1]) {
                        let path = try await MerkleProofs.compute({ (f) throws(ParmanaError) in
                            try MerkleProofs.inclusionPath(index: index, size: size, fetch: f)
                        }, fetch: fetch)
                        #expect(path == Merkle.inclusionProof(index, Array(leaves.prefix(size))), "node \(k): path \(index) of \(size)")
                    }
                    for first in Set([1, size / 2, size - 1]) where first >= 1 && first < size {
                        let proof = try await MerkleProofs.compute({ (f) throws(ParmanaError) in
                            try MerkleProofs.consistencyProof(first: first, second: size, fetch: f)
                        }, fetch: fetch)
                        #expect(proof == Merkle.consistencyProof(first, Array(leaves.prefix(size))), "node \(k): consistency \(first)→\(size)")
                    }
                }
            }
            let stats = nodes.map(\.commitStats)
            print("three nodes: \(stats.map(\.jobs)) writes in \(stats.map(\.transactions)) transactions")
            for node in nodes { await node.close() }
        }
    }

    /// Runtimes on two nodes decide concurrently against one log; each sees the other's
    /// executions, and a replay is refused whichever node sees it second.
    @Test func runtimesOnTwoNodesShareReplayProtection() async throws {
        try await PostgresTestDatabases.with { dbs in
            let config = try await dbs.create()
            let a = try await PostgresEvidenceStore.open(config), b = try await PostgresEvidenceStore.open(config)
            let fixture = Fixture()
            let ha = try await RuntimeHarness(store: a, fixture: fixture, ids: RandomExecutionIDs())
            let hb = try await RuntimeHarness(store: b, fixture: fixture, ids: RandomExecutionIDs())
            let results = await withTaskGroup(of: Result<String, ParmanaError>.self) { g in
                for i in 0..<32 {
                    for h in [ha, hb] {
                        g.addTask {
                            do throws(ParmanaError) {
                                return .success(try await h.runtime.decide(policyID: "payments.release",
                                                                           signals: RuntimeHarness.signals("two-\(i)", amount: 10)).executionID)
                            } catch { return .failure(error) }
                        }
                    }
                }
                var all: [Result<String, ParmanaError>] = []
                for await r in g { all.append(r) }
                return all
            }
            let ok = results.compactMap { try? $0.get() }
            let refused = results.compactMap { if case .failure(let e) = $0 { return e.code }; return nil }
            #expect(ok.count == 32 && refused.count == 32 && refused.allSatisfy { $0 == .replayDetected })
            for id in ok {
                let onA = try await a.execution(id), onB = try await b.execution(id)
                #expect(onA != nil && onB != nil)
            }
            #expect(try await ConformanceData.verify(a, trust: fixture.trust).valid)
            await a.close()
            await b.close()
        }
    }
}
