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
    static func make() throws -> any EvidenceStore { try SQLiteEvidenceStore(path: tempDB()) }

    @Test func evidenceStoreConformance() async throws {
        try await EvidenceStoreConformance(
            make: { try SQLiteStoreTests.make() },
            reopen: { store in
                let path = (store as! SQLiteEvidenceStore).path
                await store.close()
                return try SQLiteEvidenceStore(path: path)
            }).runAll()
    }

    @Test func auditLogReaderConformance() async throws {
        try await AuditLogReaderConformance(make: { try SQLiteStoreTests.make() }).runAll()
    }

    @Test func executionLedgerConformance() async throws {
        try await ExecutionLedgerConformance(make: { try SQLiteStoreTests.make() }).runAll()
    }

    @Test func walAndFullSync() throws {
        let store = try SQLiteEvidenceStore(path: tempDB())
        let p = try store.pragmas()
        #expect(p.synchronous == 2)  // FULL
        #expect(p.journalMode == "wal")
    }

    @Test func runtimeOnSQLiteFailsClosedWhenTheStoreFails() async throws {
        let path = tempDB()
        let store = try SQLiteEvidenceStore(path: path)
        let h = try await RuntimeHarness(store: store)
        // A real SQLite failure: a trigger aborts every log insert.
        try SQLiteShell.exec(path, "CREATE TRIGGER fail_log BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
        do {
            _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("p", amount: 1))
            Issue.record("returned an attestation")
        } catch {
            #expect(error.code == .storeUnavailable)
        }
        try SQLiteShell.exec(path, "DROP TRIGGER fail_log;")
        // Nothing was half-written: the fingerprint was not consumed.
        #expect(try await store.consumer(of: Hashing.fingerprint(try JSONParser().parse(RuntimeHarness.signals("p", amount: 1)))) == nil)
        let r = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("p", amount: 1))
        #expect(r.seq == 3)
        #expect(try await ConformanceData.verify(store, trust: h.fixture.trust).valid)
    }

    /// Each decision is stored once, hashes as bytes: at most 1 KB per decision on the
    /// example payments policy (issue 10).
    @Test func aDecisionTakesAtMostOneKilobyte() async throws {
        let path = tempDB()
        let store = try SQLiteEvidenceStore(path: path)
        let h = try await RuntimeHarness(store: store)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let n = 5000
        try await withThrowingTaskGroup(of: Void.self) { g in
            for w in 0..<16 {
                g.addTask {
                    for i in stride(from: w, to: n, by: 16) {
                        _ = try await h.runtime.decide(policyID: "payments.release",
                                                       signals: RuntimeHarness.signals("pay_\(String(format: "%08d", i))", amount: Double(10 + i % 5000)))
                    }
                }
            }
            try await g.waitForAll()
        }
        try store.checkpointWAL()
        await store.close()
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let perDecision = Double(after - before) / Double(n)
        print("SQLite: \(Int(perDecision)) bytes per decision over \(n) decisions")
        #expect(perDecision <= 1024, "\(perDecision) bytes per decision")
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
        #expect(try await ConformanceData.verify(store, trust: h.fixture.trust).valid)
    }
}
