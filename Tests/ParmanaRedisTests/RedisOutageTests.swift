import Foundation
import ParmanaCore
#if canImport(Glibc)
import Glibc
#endif
import ParmanaRedis
import ParmanaRuntime
import ParmanaTesting
import Testing

/// Outages of a private Redis started by `scripts/services.sh` (appendonly yes,
/// appendfsync always, noeviction) with a state directory of its own, so the shared test
/// server stays up for the other tests.
@Suite("Redis stopped, restarted, hung: fail closed within store_timeout_ms, then resume with the same runtime")
struct RedisOutageTests {
    @Test("services.sh stop-redis: store_unavailable at once, nothing in the local log; restart-redis: decisions resume and the claims survived")
    func stoppedAndRestarted() async throws {
        let services = try ServicesScript()
        try await services.whileRunning {
            let url = try #require(try await services.startRedis()["PARMANA_TEST_REDIS_URL"])
            let timeout = Duration.milliseconds(1000)
            let a = try await ClusterNode("node-a", redis: url, prefix: "parmana:", timeout: timeout)
            let before = RuntimeHarness.signals("p-before", amount: 1)
            let first = try await a.decide(before)
            try await services.run(["stop-redis"])

            let size = try await a.sqlite.size()
            let down = RuntimeHarness.signals("p-down", amount: 2)
            let started = ContinuousClock.now
            await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(down) }
            #expect(ContinuousClock.now - started < timeout)
            #expect(try await a.sqlite.size() == size, "nothing in the local log")
            #expect(try await a.sqlite.consumer(of: fingerprint(down)) == nil)
            #expect(await a.split.health() == [StoreHealth(name: "evidence", healthy: true), StoreHealth(name: "replay", healthy: false)])
            let (ready, body) = try await TwoNodeTests.get(try TwoNodeTests.api(a), "/readyz")
            #expect(ready == .serviceUnavailable && body["error"]?["code"] == "store_unavailable")
            #expect(body["error"]?["details"] == [["pointer": "/stores/evidence", "message": "ready"],
                                                  ["pointer": "/stores/replay", "message": "unavailable"]])

            try await services.run(["restart-redis"])
            let afterSignals = RuntimeHarness.signals("p-after", amount: 3)
            let after = try await a.decide(afterSignals)
            #expect(try await a.sqlite.consumer(of: fingerprint(afterSignals)) == after.executionID)
            // The claim made before the outage is still there (it never expires, and Redis persisted it).
            let replay = await expectError(.replayDetected) { () throws(ParmanaError) in try await a.decide(before) }
            #expect(replay?.executionID == first.executionID)
            // The refused decision consumed nothing: it decides now.
            _ = try await a.decide(down)
            #expect(await a.split.isHealthy())
            await a.close()
        }
    }

    @Test("hung (SIGSTOP): store_unavailable within store_timeout_ms, nothing in the local log; SIGCONT: decisions resume")
    func hungAndResumed() async throws {
        let services = try ServicesScript()
        try await services.whileRunning {
            let env = try await services.startRedis()
            let url = try #require(env["PARMANA_TEST_REDIS_URL"])
            let pid = try #require(env["PARMANA_TEST_REDIS_PID"].flatMap { pid_t($0) })
            let timeout = Duration.milliseconds(500)
            let a = try await ClusterNode("node-a", redis: url, prefix: "parmana:", timeout: timeout)
            _ = try await a.decide(RuntimeHarness.signals("p-warm", amount: 1))
            kill(pid, SIGSTOP)
            defer { kill(pid, SIGCONT) }

            let size = try await a.sqlite.size()
            let hung = RuntimeHarness.signals("p-hung", amount: 2)
            let started = ContinuousClock.now
            await expectError(.storeUnavailable) { () throws(ParmanaError) in try await a.decide(hung) }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= timeout - .milliseconds(50) && elapsed < timeout + .milliseconds(750), "\(elapsed)")
            #expect(try await a.sqlite.size() == size, "nothing in the local log")
            #expect(try await a.sqlite.consumer(of: fingerprint(hung)) == nil)
            #expect(await !a.replay.isHealthy())

            kill(pid, SIGCONT)
            let resumed = RuntimeHarness.signals("p-resumed", amount: 3)
            let r = try await a.decide(resumed)
            #expect(try await a.sqlite.consumer(of: fingerprint(resumed)) == r.executionID)
            #expect(try await a.sqlite.consumer(of: fingerprint(hung)) == nil)
            await a.close()
        }
    }
}
