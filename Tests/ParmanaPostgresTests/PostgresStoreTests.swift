import Foundation
import ParmanaCore
import ParmanaPostgres
import ParmanaRuntime
import ParmanaTesting
import ParmanaWorkspace
import Testing

/// The PostgreSQL store against a real server: the three port conformance suites, each
/// store on a database of its own; migrations; durability settings; group commit.
@Suite struct PostgresStoreTests {
    typealias D = ConformanceData

    @Test func evidenceStoreConformance() async throws {
        try await PostgresTestDatabases.with { dbs in
            try await EvidenceStoreConformance(
                make: { try await dbs.make() },
                reopen: { store in
                    let config = (store as! PostgresEvidenceStore).configuration
                    await store.close()
                    return try await PostgresEvidenceStore.open(config)
                }).runAll()
        }
    }

    @Test func auditLogReaderConformance() async throws {
        try await PostgresTestDatabases.with { dbs in
            try await AuditLogReaderConformance(make: { try await dbs.make() }).runAll()
        }
    }

    @Test func executionLedgerConformance() async throws {
        try await PostgresTestDatabases.with { dbs in
            try await ExecutionLedgerConformance(make: { try await dbs.make() }).runAll()
        }
    }

    /// Every session commits synchronously; the server is durable.
    @Test func commitsAreSynchronous() async throws {
        try await PostgresTestDatabases.with { dbs in
            let store = try await dbs.make()
            let s = try await store.durabilitySettings()
            #expect(s.synchronousCommit == "on" && s.fsync == "on")
            await store.close()
        }
    }

    /// Nodes that start together migrate once; a reopen migrates nothing; a schema newer
    /// than this build is refused.
    @Test func migrationsRunOnceUnderALock() async throws {
        try await PostgresTestDatabases.with { dbs in
            let config = try await dbs.create()
            let stores = try await withThrowingTaskGroup(of: PostgresEvidenceStore.self) { g in
                for _ in 0..<4 { g.addTask { try await PostgresEvidenceStore.open(config) } }
                var all: [PostgresEvidenceStore] = []
                for try await s in g { all.append(s) }
                return all
            }
            #expect(try await stores[0].schemaVersions() == [1, 2])
            for s in stores { await s.close() }
            let again = try await PostgresEvidenceStore.open(config)
            #expect(try await again.schemaVersions() == [1, 2])
            await again.close()
            try await PostgresTestDatabases.query(config, "INSERT INTO schema_migrations (version, name) VALUES (999, 'from-the-future')")
            do {
                let s = try await PostgresEvidenceStore.open(config)
                await s.close()
                Issue.record("opened a schema newer than this build")
            } catch {
                #expect("\(error)".contains("newer than this build"))
            }
        }
    }

    @Test func concurrentDecisionsShareTransactions() async throws {
        try await PostgresTestDatabases.with { dbs in
            let store = try await dbs.make()
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
            #expect(transactions < jobs, "\(transactions) transactions for \(jobs) decisions")
            print("PostgreSQL group commit: \(jobs) decisions in \(transactions) transactions")
            #expect(try await ConformanceData.verify(store, trust: h.fixture.trust).valid)
            await store.close()
        }
    }

    /// Concurrent commits land in one batch statement: idempotency keys bind once (the
    /// first in the batch wins, the others get its binding), retained signals, pending
    /// rows and expiries are written, and the projection matches the log.
    @Test func batchedCommitsKeepEveryRule() async throws {
        try await PostgresTestDatabases.with { dbs in
            let store = try await dbs.make()
            let due = Timestamp(millisecondsSinceEpoch: D.t0.millisecondsSinceEpoch + 60_000)
            let commits = (0..<48).map { n in
                D.commit(700 + n, requiresOverride: n % 3 == 0, approvals: n % 6 == 0 ? 2 : nil, expiresAt: n % 6 == 0 ? due : nil,
                         retain: n % 2 == 0, idempotencyKey: n < 16 ? "same-key" : (n < 32 ? "key-\(n)" : nil))
            }
            let outcomes = try await withThrowingTaskGroup(of: (Int, ExecutionCommitOutcome).self) { g in
                for (n, c) in commits.enumerated() { g.addTask { (n, try await store.commit(c)) } }
                var all: [Int: ExecutionCommitOutcome] = [:]
                for try await (n, o) in g { all[n] = o }
                return all
            }
            let sameKey = (0..<16).filter { if case .committed = outcomes[$0] { return true }; return false }
            #expect(sameKey.count == 1)
            let record = try #require(try await store.idempotency("same-key"))
            #expect(record.executionID == commits[sameKey.first ?? 0].executionID)
            #expect((0..<16).filter { outcomes[$0] == .idempotencyKeyBound(record) }.count == 15)
            #expect((16..<48).allSatisfy { if case .committed = outcomes[$0] { return true }; return false })
            #expect(try await store.size() == 33)
            let pending = try await store.pending(PendingQuery(limit: 100))
            #expect(Set(pending.map(\.executionID)) == Set((0..<48).filter { $0 % 3 == 0 && ($0 >= 16 || $0 == sameKey.first) }.map { commits[$0].executionID }))
            #expect(try await store.expiring(at: due, limit: 100).count == pending.filter { n in commits.firstIndex { $0.executionID == n.executionID }! % 6 == 0 }.count)
            #expect(pending.allSatisfy { p in (p.retainedSignals != nil) == (commits.firstIndex { $0.executionID == p.executionID }! % 2 == 0) })
            let report = try await D.verify(store)
            #expect(report.valid, "\(report.problems)")
            print("batched commits: \(store.commitStats.jobs) writes in \(store.commitStats.transactions) transactions")
            await store.close()
        }
    }

    /// The chain head lives in the locked `log_head` row (schema v2). A head not stored
    /// (a log written before v2) is read from the entries, and the log goes on unbroken.
    /// A stored head that disagrees with the log (a size too small or too large, another
    /// last entry hash, other frontier hashes, a frontier that does not fit its size)
    /// fails every append (execution, event, resolution) with nothing written.
    @Test func theStoredChainHeadIsTheLogsHead() async throws {
        try await PostgresTestDatabases.with { dbs in
            let store = try await dbs.make()
            for n in 0..<5 { _ = try await store.commit(D.commit(900 + n)) }
            try await PostgresTestDatabases.query(store.configuration, "UPDATE log_head SET size = NULL, last_entry_hash = NULL, frontier = NULL")
            for n in 5..<9 { _ = try await store.commit(D.commit(900 + n, requiresOverride: n == 8)) }
            var size = try await store.size()
            #expect(try await D.verify(store).valid)
            // Sizes that resume from as many stored hashes as the real one: only the log tells.
            func count(_ n: Int) -> Int { AuditChain.nodesToResume(size: n).count }
            func larger() -> Int { ((size + 1)...).first { count($0) == count(size) }! }
            func smaller() -> Int { (1..<size).reversed().first { count($0) == count(size) }! }
            let tampers: [(String, () -> String, String)] = [
                ("a larger size", { "size = \(larger())" }, "does not match"), ("a smaller size", { "size = \(smaller())" }, "does not match"),
                ("another last entry hash", { "last_entry_hash = sha256('x')" }, "does not match"),
                ("other frontier hashes", { "frontier = array_fill(sha256('y'), ARRAY[cardinality(frontier)])" }, "does not match"),
                ("a frontier short of its size", { "frontier = frontier[2:]" }, "incomplete")]
            for (k, (what, set, says)) in tampers.enumerated() {
                try await PostgresTestDatabases.query(store.configuration, "UPDATE log_head SET \(set())")
                do throws(StoreError) {
                    _ = try await store.commit(D.commit(950))
                    Issue.record("an execution appended over \(what)")
                } catch {
                    #expect("\(error)".contains(says), "\(what): \(error)")
                }
                do throws(StoreError) {
                    _ = try await store.append(event: .policyLoaded, record: Array("{}".utf8), at: D.t0)
                    Issue.record("an event appended over \(what)")
                } catch {
                    #expect("\(error)".contains(says), "\(what): \(error)")
                }
                #expect(try await store.size() == size, "\(what)")
                // Mended: read from the entries again, and stored by the next append.
                try await PostgresTestDatabases.query(store.configuration, "UPDATE log_head SET size = NULL, last_entry_hash = NULL, frontier = NULL")
                _ = try await store.commit(D.commit(960 + k))
                size += 1
            }
            #expect(try await D.verify(store).valid)
            _ = try await store.commit(D.commit(950))
            #expect(try await store.size() == size + 1)
            #expect(try await D.verify(store).valid)
            await store.close()
        }
    }

    /// The composition root opens `postgres://` URLs (config `store` / `PARMANA_STORE`).
    @Test func workspaceOpensPostgresURLs() async throws {
        try await PostgresTestDatabases.with { dbs in
            let c = try await dbs.create()
            let url = "postgres://\(c.username):\(c.password ?? "")@\(c.host):\(c.port)/\(c.database)?sslmode=disable"
            let ws = Workspace(root: NSTemporaryDirectory() + "parmana-pg-ws-\(UUID().uuidString)")
            let store = try await WorkspaceRuntime.openStore(url, workspace: ws, timeoutMilliseconds: 30_000)
            #expect((store as? PostgresEvidenceStore)?.configuration.timeoutMilliseconds == 30_000)
            #expect(await store.isHealthy())
            await store.close()
            // Nothing listens on port 1.
            do throws(ParmanaError) {
                _ = try await WorkspaceRuntime.openStore("postgres://nobody@127.0.0.1:1/x", workspace: ws, timeoutMilliseconds: 500)
                Issue.record("opened a store where no server listens")
            } catch {
                #expect(error.code == .storeUnavailable)
            }
            // The server's own reason, not only "no connection within N ms".
            for (bad, reason) in [("postgres://\(c.username):wrong-password@\(c.host):\(c.port)/\(c.database)?sslmode=disable", "password authentication failed"),
                                  ("postgres://\(c.username):\(c.password ?? "")@\(c.host):\(c.port)/no_such_db?sslmode=disable", "does not exist")] {
                do throws(ParmanaError) {
                    _ = try await WorkspaceRuntime.openStore(bad, workspace: ws, timeoutMilliseconds: 1000)
                    Issue.record("opened \(bad)")
                } catch {
                    #expect(error.code == .storeUnavailable && error.message.contains(reason), "\(error.message)")
                    #expect(!error.message.contains("wrong-password"), "the password is not echoed")
                }
            }
            do throws(ParmanaError) {
                _ = try await WorkspaceRuntime.openStore("postgres://x", workspace: ws)
                Issue.record("opened a URL without user or database")
            } catch {
                #expect(error.code == .invalidConfig)
            }
        }
    }

    @Test func urls() throws {
        let c = try PostgresStoreConfiguration(url: "postgres://alice:s%40cret@db.example:6543/parmana?sslmode=require", timeoutMilliseconds: 750)
        #expect(c.username == "alice" && c.password == "s@cret" && c.host == "db.example" && c.port == 6543)
        #expect(c.database == "parmana" && c.tls == .require && c.timeoutMilliseconds == 750)
        #expect(!c.redactedURL.contains("cret"))
        let d = try PostgresStoreConfiguration(url: "postgresql://bob@[::1]/logs")
        #expect(d.host == "::1" && d.port == 5432 && d.password == nil && d.tls == .prefer && d.timeoutMilliseconds == 2000)
        for bad in ["postgres://host:5432/db", "postgres://u@h:5432/", "postgres://u@h:5432/db?schema=x", "postgres://u@:5432/db",
                    "postgres://u@h:99999/db", "mysql://u@h/db", "postgres://u@h/a/b"] {
            #expect(throws: ParmanaError.self, "\(bad)") { try PostgresStoreConfiguration(url: bad) }
        }
    }
}
