import Foundation
import ParmanaCore
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting
import Testing

func tempDB() -> String {
    let dir = NSTemporaryDirectory() + "parmana-sqlite-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/parmana.sqlite"
}

@Suite struct SQLiteStoreTests {
    @Test func conformance() async throws {
        try await EvidenceStoreConformance(
            make: { try SQLiteEvidenceStore(path: tempDB()) },
            reopen: { store in
                let path = (store as! SQLiteEvidenceStore).path
                await store.close()
                return try SQLiteEvidenceStore(path: path)
            }).runAll()
    }

    @Test func walAndFullSync() throws {
        let store = try SQLiteEvidenceStore(path: tempDB())
        let p = try store.pragmas()
        #expect(p.synchronous == 2)  // FULL
        #expect(p.journalMode == "wal")
    }

    @Test func replayStoreConsumesOnceAcrossConnections() async throws {
        let path = tempDB()
        let a = try SQLiteReplayStore(path: path), b = try SQLiteReplayStore(path: path)
        let outcomes = try await withThrowingTaskGroup(of: ReplayOutcome.self) { g in
            for i in 0..<64 { g.addTask { try await (i % 2 == 0 ? a : b).consume("fp", executionID: "e\(i)", at: EvidenceStoreConformanceTime.t0) } }
            var all: [ReplayOutcome] = []
            for try await o in g { all.append(o) }
            return all
        }
        #expect(outcomes.filter { $0 == .consumed }.count == 1)
        #expect(outcomes.filter { if case .replay = $0 { return true }; return false }.count == 63)
    }

    @Test func runtimeOnSQLiteFailsClosedWhenTheStoreFails() async throws {
        let path = tempDB()
        let store = try SQLiteEvidenceStore(path: path)
        let h = try await RuntimeHarness(store: store)
        // A real SQLite failure: a trigger aborts every audit insert.
        try SQLiteShell.exec(path, "CREATE TRIGGER fail_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
        do {
            _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("p", amount: 1))
            Issue.record("returned an attestation")
        } catch {
            #expect(error.code == .storeUnavailable)
        }
        try SQLiteShell.exec(path, "DROP TRIGGER fail_audit;")
        // Nothing was half-written: the fingerprint was not consumed.
        #expect(try await store.consumer(of: Hashing.fingerprint(try JSONParser().parse(RuntimeHarness.signals("p", amount: 1)))) == nil)
        let r = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("p", amount: 1))
        #expect(r.seq == 3)
        #expect(AuditLogVerifier(trust: h.fixture.trust).verify(try await store.allEntries(), checkpoints: []).valid)
    }
}

@Suite struct GroupCommitTests {
    @Test func concurrentDecisionsShareTransactions() async throws {
        let store = try SQLiteEvidenceStore(path: tempDB())
        let h = try await RuntimeHarness(store: store)
        let before = store.commitStats
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<256 {
                g.addTask { _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("g\(i)", amount: 1)) }
            }
            try await g.waitForAll()
        }
        let after = store.commitStats
        let transactions = after.transactions - before.transactions, jobs = after.jobs - before.jobs
        #expect(jobs == 256)
        // Group commit: fewer transactions (fsyncs) than decisions.
        #expect(transactions < jobs, "\(transactions) transactions for \(jobs) decisions")
        print("group commit: \(jobs) decisions in \(transactions) transactions")
        #expect(AuditLogVerifier(trust: h.fixture.trust).verify(try await store.allEntries(), checkpoints: []).valid)
    }
}
