import Foundation
import ParmanaCore
import ParmanaRedis
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting
import Testing

/// One node of topology A in a test: its own SQLite log (optionally behind an
/// ``UnknownOutcomeStore``), a replay store on a shared Redis, a runtime with random
/// execution ids.
struct ClusterNode {
    let name: String
    let sqlite: SQLiteEvidenceStore
    let local: UnknownOutcomeStore
    let replay: RedisReplayStore
    let split: SplitEvidenceStore
    let harness: RuntimeHarness
    var runtime: Runtime { harness.runtime }

    init(_ name: String, redis url: String, prefix: String, fixture: Fixture = Fixture(), timeout: Duration = .seconds(2)) async throws {
        self.name = name
        sqlite = try SQLiteEvidenceStore(path: RedisTestEnvironment.sqlitePath())
        local = UnknownOutcomeStore(sqlite)
        replay = RedisReplayStore(url: try RedisURL(url), prefix: prefix, timeout: timeout)
        split = SplitEvidenceStore(local: local, replay: replay, nodeID: name)
        harness = try await RuntimeHarness(store: split, fixture: fixture, ids: RandomExecutionIDs(), nodeID: name, logID: "log-" + name)
    }

    /// A node on the shared test Redis.
    init(_ name: String, prefix: String, fixture: Fixture = Fixture()) async throws {
        try await self.init(name, redis: try RedisTestEnvironment.url(), prefix: prefix, fixture: fixture)
    }

    func decide(_ signals: [UInt8], key: String? = nil, explain: Bool = false) async throws(ParmanaError) -> DecisionResult {
        try await runtime.decide(policyID: "payments.release", signals: signals, explain: explain, idempotencyKey: key)
    }

    func close() async { await split.close() }
}
