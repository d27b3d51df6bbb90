import Foundation
import ParmanaCore
import ParmanaRedis
import ParmanaRuntime
import ParmanaSQLite

/// The shared test Redis started by `scripts/services.sh` (scripts/test.sh exports its
/// variables). A missing variable fails the test: nothing is skipped without Redis.
enum RedisTestEnvironment {
    static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSetupError(description: "\(name) is not set: start Redis with eval \"$(scripts/services.sh start redis)\" "
                + "(scripts/test.sh does) and run the tests in that environment")
        }
        return value
    }

    /// `PARMANA_TEST_REDIS_URL`.
    static func url() throws -> String { try variable("PARMANA_TEST_REDIS_URL") }

    /// A store on the shared Redis with a key prefix of its own, so tests never see each
    /// other's claims (claims never expire).
    static func store(timeout: Duration = .seconds(2), replicas: Int = 0, prefix: String? = nil) throws -> RedisReplayStore {
        RedisReplayStore(url: try RedisURL(try url()), prefix: prefix ?? freshPrefix(), timeout: timeout, replicas: replicas)
    }

    static func freshPrefix() -> String { "parmana-test:\(UUID().uuidString.lowercased()):" }

    /// Arguments that make a private `redis-server` as durable as SPEC §17.3 asks.
    static let durable = ["--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction"]

    /// A fresh SQLite file.
    static func sqlitePath() -> String {
        let dir = NSTemporaryDirectory() + "parmana-redis-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/parmana.sqlite"
    }
}
