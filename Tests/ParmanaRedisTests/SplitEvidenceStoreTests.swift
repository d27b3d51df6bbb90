import Foundation
import Logging
import ParmanaCore
import ParmanaRedis
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting
import ParmanaWorkspace
import Testing

@Suite("SplitEvidenceStore: each node's SQLite log and one shared Redis (topology A)")
struct SplitEvidenceStoreTests {
    static func make(prefix: String = RedisTestEnvironment.freshPrefix(), path: String = RedisTestEnvironment.sqlitePath()) throws -> SplitEvidenceStore {
        SplitEvidenceStore(local: try SQLiteEvidenceStore(path: path), replay: try RedisTestEnvironment.store(prefix: prefix), nodeID: "node-a")
    }

    @Test("EvidenceStoreConformance and ExecutionLedgerConformance pass on SQLite + Redis")
    func conformance() async throws {
        try await EvidenceStoreConformance(
            make: { try SplitEvidenceStoreTests.make() },
            reopen: { store in
                let split = store as! SplitEvidenceStore
                let path = (split.local as! SQLiteEvidenceStore).path
                let prefix = (split.replay as! RedisReplayStore).prefix
                await store.close()
                return try SplitEvidenceStoreTests.make(prefix: prefix, path: path)
            }).runAll()
        try await ExecutionLedgerConformance(make: { try SplitEvidenceStoreTests.make() }).runAll()
    }

    @Test("a definite local failure (a SQLite trigger) releases the claim; the same signals decide afterwards")
    func definiteFailureReleasesTheClaim() async throws {
        let path = RedisTestEnvironment.sqlitePath()
        let split = try Self.make(path: path)
        let h = try await RuntimeHarness(store: split, nodeID: "node-a")
        try SQLiteShell.exec(path, "CREATE TRIGGER fail_log BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
        let signals = RuntimeHarness.signals("p-definite", amount: 10)
        await expectError(.storeUnavailable) { () throws(ParmanaError) in
            try await h.runtime.decide(policyID: "payments.release", signals: signals)
        }
        #expect(try await split.replay.claim(of: fingerprint(signals)) == nil, "released")
        #expect(try await split.replay.inDoubt(node: "node-a", includeInFlight: true).isEmpty)
        #expect(try await split.local.size() == 2, "runtime_started and policy_loaded only")
        try SQLiteShell.exec(path, "DROP TRIGGER fail_log;")
        let r = try await h.runtime.decide(policyID: "payments.release", signals: signals)
        #expect(try await split.replay.claim(of: fingerprint(signals)) == ReplayClaim(fingerprint: fingerprint(signals), nodeID: "node-a",
                                                                                       executionID: r.executionID))
        await split.settled()
        #expect(try await split.replay.inDoubt(node: "node-a", includeInFlight: true).isEmpty, "settled")
        #expect(try await ConformanceData.verify(split, trust: h.fixture.trust).valid)
        await split.close()
    }

    @Test("decisions without a key are settled in the background, many per write; their claims stay")
    func claimsAreSettledInTheBackground() async throws {
        let split = try Self.make()
        let h = try await RuntimeHarness(store: split, nodeID: "node-a")
        let results = try await withThrowingTaskGroup(of: ([UInt8], String).self) { g in
            for i in 0..<64 {
                g.addTask {
                    let s = RuntimeHarness.signals("p-bg-\(i)", amount: 10)
                    return (s, try await h.runtime.decide(policyID: "payments.release", signals: s).executionID)
                }
            }
            var all: [([UInt8], String)] = []
            for try await r in g { all.append(r) }
            return all
        }
        await split.settled()
        #expect(try await split.replay.inDoubt(node: "node-a", includeInFlight: true).isEmpty, "settled")
        for (s, id) in results {
            #expect(try await split.replay.claim(of: fingerprint(s)) == ReplayClaim(fingerprint: fingerprint(s), nodeID: "node-a", executionID: id))
        }
        #expect(try await ConformanceData.verify(split, trust: h.fixture.trust).valid)
        await split.close()
    }

    @Test("serve's reconciler resolves a claim once it has been in doubt or in flight for a whole round; the same signals then decide")
    func inDoubtClaimsAreReconciledWhileRunning() async throws {
        let prefix = RedisTestEnvironment.freshPrefix()
        let a = try await ClusterNode("node-a", prefix: prefix)
        let reconciler = ReplayReconcilerService(store: a.split, logger: Logger(label: "test"))
        let lost = RuntimeHarness.signals("p-reconciled-live", amount: 12)
        let committed = RuntimeHarness.signals("p-committed-live", amount: 13)
        a.local.set(.timeoutWithoutCommit)
        await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(lost) }
        a.local.set(.commitThenTimeout)
        await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(committed) }
        a.local.set(.pass)
        await expectError(.replayDetected) { () throws(ParmanaError) in try await a.decide(lost) }
        // A claim left in flight (a Redis stall made marking it in doubt fail too).
        let stranded = RuntimeHarness.signals("p-stranded-live", amount: 14)
        _ = try await a.replay.consume(ReplayClaim(fingerprint: fingerprint(stranded), nodeID: "node-a", executionID: ConformanceData.id(77)))
        await expectError(.replayDetected) { () throws(ParmanaError) in try await a.decide(stranded) }
        // First sight: nothing is resolved yet (a write with an unknown outcome may still be landing).
        #expect(await reconciler.tick() == SplitEvidenceStore.Reconciliation())
        #expect(try await a.replay.inDoubt(node: "node-a", includeInFlight: false).count == 2)
        #expect(try await a.replay.inDoubt(node: "node-a", includeInFlight: true).count == 3)
        // A round later: the lost and stranded claims are released, the committed one kept.
        let done = await reconciler.tick()
        #expect(Set(done.released.map(\.fingerprint)) == [fingerprint(lost), fingerprint(stranded)])
        #expect(done.kept.map(\.fingerprint) == [fingerprint(committed)])
        #expect(try await a.replay.inDoubt(node: "node-a", includeInFlight: true).isEmpty)
        let again = try await a.decide(lost)
        #expect(try await a.sqlite.consumer(of: fingerprint(lost)) == again.executionID)
        _ = try await a.decide(stranded)
        await expectError(.replayDetected) { () throws(ParmanaError) in try await a.decide(committed) }
        #expect(await reconciler.tick() == SplitEvidenceStore.Reconciliation(), "nothing left in doubt")
        #expect(try await ConformanceData.verify(a.sqlite, trust: a.harness.fixture.trust).valid)
        await a.close()
    }

    @Test("an unknown local outcome leaves the claim in doubt; reconciliation keeps what the log has and releases the rest")
    func unknownOutcomeAndReconciliation() async throws {
        let prefix = RedisTestEnvironment.freshPrefix()
        let a = try await ClusterNode("node-a", prefix: prefix)
        let b = try await ClusterNode("node-b", prefix: prefix, fixture: a.harness.fixture)
        let committed = RuntimeHarness.signals("p-committed", amount: 10)
        let lost = RuntimeHarness.signals("p-lost", amount: 11)
        a.local.set(.commitThenTimeout)
        await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(committed, key: "order-committed") }
        a.local.set(.timeoutWithoutCommit)
        await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(lost, key: "order-lost") }
        a.local.set(.pass)

        let doubts = try await a.replay.inDoubt(node: "node-a", includeInFlight: false)
        #expect(Set(doubts.map(\.fingerprint)) == [fingerprint(committed), fingerprint(lost)])
        #expect(try await a.replay.inDoubt(node: "node-a", includeInFlight: true).count == 2, "nothing left in flight")
        // Both fingerprints stay claimed until reconciled: another node is refused.
        let logged = try #require(try await a.sqlite.consumer(of: fingerprint(committed)))
        #expect(try await a.sqlite.consumer(of: fingerprint(lost)) == nil)
        await expectError(.replayDetected) { () throws(ParmanaError) in try await b.decide(lost) }
        // The keys are still in progress for another node.
        await expectError(.requestInProgress) { () throws(ParmanaError) in try await b.decide(committed, key: "order-committed") }
        await expectError(.requestInProgress) { () throws(ParmanaError) in try await b.decide(lost, key: "order-lost") }

        let done = try await a.split.reconcile(includeInFlight: false)
        #expect(done.kept.map(\.fingerprint) == [fingerprint(committed)])
        #expect(done.kept.first?.executionID == logged)
        #expect(done.released.map(\.fingerprint) == [fingerprint(lost)])
        #expect(try await a.replay.inDoubt(node: "node-a", includeInFlight: true).isEmpty)
        #expect(try await a.replay.claim(of: fingerprint(committed))?.executionID == logged, "a claim whose execution is logged is kept")
        #expect(try await a.replay.claim(of: fingerprint(lost)) == nil)
        let key = try #require(try await a.replay.idempotency("order-committed"))
        let loggedAttestation = try await a.sqlite.execution(logged)?.attestation.recordBytes
        #expect(!key.inProgress && key.attestation == loggedAttestation)
        #expect(try await a.replay.idempotency("order-lost") == nil)
        #expect(try await a.split.reconcile(includeInFlight: true) == SplitEvidenceStore.Reconciliation(), "nothing left to resolve")

        // Node B answers the retry with A's decision; the same signals without a key are a replay naming it.
        let retried = try await b.decide(committed, key: "order-committed")
        #expect(retried.idempotentReplay && retried.executionID == logged)
        let replay = await expectError(.replayDetected) { () throws(ParmanaError) in try await b.decide(committed) }
        #expect(replay?.executionID == logged)
        // The released fingerprint is free again, on any node.
        let again = try await b.decide(lost)
        #expect(try await b.sqlite.consumer(of: fingerprint(lost)) == again.executionID)
        #expect(try await ConformanceData.verify(a.sqlite, trust: a.harness.fixture.trust).valid)
        #expect(try await ConformanceData.verify(b.sqlite, trust: a.harness.fixture.trust).valid)
        await a.close()
        await b.close()
    }

    @Test("the deciding node answers a retry from its own log even when settling failed")
    func ownRetryAfterAFailedSettle() async throws {
        let a = try await ClusterNode("node-a", prefix: RedisTestEnvironment.freshPrefix())
        let signals = RuntimeHarness.signals("p-own", amount: 12)
        a.local.set(.commitThenTimeout)
        await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(signals, key: "order-own") }
        a.local.set(.pass)
        let r = try await a.decide(signals, key: "order-own")
        let logged = try await a.sqlite.consumer(of: fingerprint(signals))
        #expect(r.idempotentReplay && r.executionID == logged)
        await a.close()
    }
}
