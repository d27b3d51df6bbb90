import Foundation
import Logging
import ParmanaCore
import ParmanaPostgres
import ParmanaRuntime
import ParmanaTesting
import Synchronization
import Testing

/// A real runtime on the PostgreSQL store while the server stops and comes back
/// (SPEC §7.3, §17.4): decisions fail closed with `store_unavailable` within
/// `store_timeout_ms`, no attestation leaves and nothing is half-written; after the restart
/// the same store object serves again. Each test that stops a server has one of its own
/// (``PrivatePostgres``).
///
/// These tests assert wall-clock bounds, so scripts/test.sh runs them on their own, after
/// the other tests (which would otherwise starve them of CPU on a 2-core machine).
@Suite(.serialized) struct PostgresFaultTests {
    static let timeoutMilliseconds = 1000
    /// Scheduling slack on a loaded 2-core machine.
    static let bound = Duration.milliseconds(timeoutMilliseconds + 500)

    func decide(_ h: RuntimeHarness, _ id: String) async throws(ParmanaError) -> DecisionResult {
        try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals(id, amount: 10))
    }

    /// Retries `id` until it is decided (the pool reconnecting), at most `limit`.
    func decideWhenBack(_ h: RuntimeHarness, _ id: String, limit: Duration = .seconds(30)) async throws -> (DecisionResult, Duration) {
        let start = ContinuousClock.now
        while true {
            do throws(ParmanaError) {
                return (try await decide(h, id), start.duration(to: .now))
            } catch {
                #expect(error.code == .storeUnavailable, "while reconnecting: \(error)")
                guard start.duration(to: .now) < limit else { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func open(_ server: PrivatePostgres) async throws -> PostgresEvidenceStore {
        var logger = Logger(label: "pg-fault", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = ProcessInfo.processInfo.environment["PARMANA_TEST_PG_DEBUG"] == nil ? .critical : .debug
        return try await PostgresEvidenceStore.open(try PostgresStoreConfiguration(url: server.url, timeoutMilliseconds: Self.timeoutMilliseconds),
                                                    logger: logger)
    }

    @Test func stoppedServerFailsClosedAndRestartResumes() async throws {
        try await PrivatePostgres.with { server in
            let store = try await open(server)
            let h = try await RuntimeHarness(store: store)
            _ = try await decide(h, "before")
            let size = try await store.size()

            try await server.stop()
            for id in ["down-0", "down-1"] {
                let start = ContinuousClock.now
                do throws(ParmanaError) {
                    let r = try await decide(h, id)
                    Issue.record("an attestation left while PostgreSQL was stopped: \(r.executionID)")
                } catch {
                    #expect(error.code == .storeUnavailable)
                }
                let elapsed = start.duration(to: .now)
                #expect(elapsed < Self.bound, "failed after \(elapsed)")
            }
            // Concurrent decisions fail the same way, each within the bound.
            let start = ContinuousClock.now
            let codes = await withTaskGroup(of: ErrorCode?.self) { g in
                for i in 0..<16 {
                    g.addTask {
                        do throws(ParmanaError) { _ = try await decide(h, "down-many-\(i)"); return nil } catch { return error.code }
                    }
                }
                var all: [ErrorCode?] = []
                for await c in g { all.append(c) }
                return all
            }
            #expect(codes.allSatisfy { $0 == .storeUnavailable }, "\(codes)")
            #expect(start.duration(to: .now) < Self.bound)
            #expect(await !store.isHealthy())

            try await server.restart()
            let (resumed, after) = try await decideWhenBack(h, "down-0")
            print("PostgreSQL restarted: decisions resumed on the same store after \(after)")
            // Nothing was half-written: the failed decision's fingerprint was free, and the
            // log continues without a gap.
            #expect(resumed.seq == size + 1)
            #expect(await store.isHealthy())
            _ = try await decide(h, "down-1")
            let report = try await ConformanceData.verify(store, trust: h.fixture.trust)
            #expect(report.valid, "\(report.problems)")
            #expect(try await store.size() == size + 2)
            await store.close()
        }
    }

    /// The server stops while decisions are in flight: every attestation returned is in
    /// the log, the log and its projection verify after the restart, and no decision took
    /// longer than the bound.
    @Test func stopUnderLoadLosesNothingReturned() async throws {
        final class Tally: Sendable {
            let returned = Mutex<[String]>([]), slowest = Mutex(Duration.zero), failures = Mutex(0)
        }
        try await PrivatePostgres.with { server in
            let store = try await open(server)
            let h = try await RuntimeHarness(store: store, ids: RandomExecutionIDs())
            let tally = Tally()
            let stopAt = ContinuousClock.now + .milliseconds(400), endAt = ContinuousClock.now + .milliseconds(2500)
            try await withThrowingTaskGroup(of: Void.self) { g in
                for w in 0..<16 {
                    g.addTask {
                        var i = 0
                        while ContinuousClock.now < endAt {
                            let start = ContinuousClock.now
                            do throws(ParmanaError) {
                                let r = try await decide(h, "load-\(w)-\(i)")
                                tally.returned.withLock { $0.append(r.executionID) }
                            } catch {
                                #expect(error.code == .storeUnavailable)
                                tally.failures.withLock { $0 += 1 }
                            }
                            let took = start.duration(to: .now)
                            tally.slowest.withLock { $0 = max($0, took) }
                            i += 1
                        }
                    }
                }
                try await Task.sleep(until: stopAt)
                try await server.stop()
                try await g.waitForAll()
            }
            let ids = tally.returned.withLock { $0 }, failures = tally.failures.withLock { $0 }, slowest = tally.slowest.withLock { $0 }
            print("stop under load: \(ids.count) decided, \(failures) refused; slowest \(slowest)")
            #expect(!ids.isEmpty && failures > 0)
            #expect(slowest < Self.bound)

            try await server.restart()
            _ = try await decideWhenBack(h, "after-restart")
            for id in ids {
                let e = try await store.execution(id)
                #expect(e != nil, "execution \(id) was returned but is not in the log")
            }
            let report = try await ConformanceData.verify(store, trust: h.fixture.trust)
            #expect(report.valid, "\(report.problems)")
            await store.close()
        }
    }

    /// A decision whose transaction cannot take the log lock in time (another node holds
    /// it) fails closed within store_timeout_ms, writes nothing, and the next one succeeds.
    @Test func aHeldLogLockFailsClosedInTime() async throws {
        try await PostgresTestDatabases.with { dbs in
            let config = try await dbs.create(timeoutMilliseconds: Self.timeoutMilliseconds)
            let store = try await PostgresEvidenceStore.open(config)
            let h = try await RuntimeHarness(store: store)
            let size = try await store.size()
            let other = try await PostgresTestDatabases.connect(config)
            try await other.query("BEGIN", logger: PostgresTestDatabases.logger)
            try await other.query("SELECT id FROM log_head WHERE id = 1 FOR UPDATE", logger: PostgresTestDatabases.logger)
            let signals = RuntimeHarness.signals("held", amount: 5)
            let start = ContinuousClock.now
            do throws(ParmanaError) {
                let r = try await h.runtime.decide(policyID: "payments.release", signals: signals)
                Issue.record("returned an attestation: \(r.executionID)")
            } catch {
                #expect(error.code == .storeUnavailable)
            }
            let elapsed = start.duration(to: .now)
            #expect(elapsed < Self.bound, "failed after \(elapsed)")
            try await other.query("ROLLBACK", logger: PostgresTestDatabases.logger)
            try await other.close()
            #expect(try await store.size() == size)
            #expect(try await store.consumer(of: Hashing.fingerprint(try JSONParser().parse(signals))) == nil)
            let r = try await h.runtime.decide(policyID: "payments.release", signals: signals)
            #expect(r.seq == size + 1)
            #expect(try await ConformanceData.verify(store, trust: h.fixture.trust).valid)
            await store.close()
        }
    }
}
