import Foundation
import Logging
import ParmanaCore
import ParmanaRedis
import ParmanaRuntime
import ParmanaTesting
import ParmanaWorkspace
import Testing

@Suite("Start-up durability check of the replay store (SPEC §17.3)")
struct RedisDurabilityTests {
    static func config(_ url: String, unsafe: Bool = false) -> WorkspaceConfig {
        WorkspaceConfig(logID: "durability-test", replayStore: url, replayStoreUnsafe: unsafe, replayStorePrefix: RedisTestEnvironment.freshPrefix())
    }

    static func refusal(_ arguments: [String]) async throws -> ParmanaError? {
        try await withRedisServer(arguments) { server in
            await expectError(.invalidConfig) { () throws(ParmanaError) in
                try await WorkspaceRuntime.openReplayStore(config(server.url), url: server.url, logger: Logger(label: "test"))
            }
        }
    }

    @Test("maxmemory-policy allkeys-lru is refused with invalid_config naming the setting and its value")
    func evictingRedisIsRefused() async throws {
        let e = try await Self.refusal(["--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "allkeys-lru"])
        #expect(e?.details.map(\.pointer) == ["/replay_store/maxmemory-policy"])
        #expect(e?.details.map(\.message) == ["allkeys-lru"])
        #expect(e?.message.contains("maxmemory-policy allkeys-lru") == true && e?.message.contains("replay_store_unsafe") == true)
    }

    @Test("appendfsync everysec is refused with invalid_config naming the setting and its value")
    func lazyFsyncIsRefused() async throws {
        let e = try await Self.refusal(["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"])
        #expect(e?.details.map(\.pointer) == ["/replay_store/appendfsync"])
        #expect(e?.details.map(\.message) == ["everysec"])
    }

    @Test("appendonly no is refused (with its default appendfsync everysec)")
    func noAppendOnlyFileIsRefused() async throws {
        let e = try await Self.refusal(["--appendonly", "no"])
        #expect(e?.details.map(\.pointer) == ["/replay_store/appendonly", "/replay_store/appendfsync"])
    }

    @Test("a durable Redis (the shared test server) is accepted with no risk to record")
    func durableRedisIsAccepted() async throws {
        let url = try RedisTestEnvironment.url()
        let (store, risk) = try await WorkspaceRuntime.openReplayStore(Self.config(url), url: url, logger: Logger(label: "test"))
        #expect(risk == nil)
        #expect(await store.isHealthy())
        await store.close()
    }

    @Test("replay_store_unsafe: accepted, logged at warning level, and recorded in a signed runtime_started record that verifies")
    func unsafeIsAcceptedAndRecorded() async throws {
        try await withRedisServer(["--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "allkeys-lru"]) { server in
            let dir = NSTemporaryDirectory() + "parmana-durability-\(UUID().uuidString)"
            let ws = Workspace(root: dir + "/ws")
            _ = try await WorkspaceInitializer.create(ws, approverID: "alice@example.com", progress: { _ in })
            var config = try WorkspaceRuntime.loadConfig(ws)
            config.replayStore = server.url
            config.replayStoreUnsafe = true
            config.replayStorePrefix = RedisTestEnvironment.freshPrefix()
            try FileIO.write(PrettyJSON.bytes(config.json), to: ws.config, mode: 0o600)
            #expect(try WorkspaceRuntime.loadConfig(ws).replayStoreUnsafe)

            let handler = CollectingLogHandler()
            let opened = try await WorkspaceRuntime.open(ws, logger: Logger(label: "test") { _ in handler })
            #expect(handler.lines.withLock { $0.contains { $0.0 == .warning && $0.1.contains("replay_store_unsafe") } })
            let last = try #require(try await opened.runtime.store.lastEvent(.runtimeStarted))
            let env = try Envelope(json: try JSONParser().parse(last.recordBytes))
            #expect(env.type == PayloadType.runtimeStart)
            let start = try RuntimeStartPayload(json: env.payload)
            #expect(start.replayStoreUnsafe && start.unsafeSettings == ["maxmemory-policy allkeys-lru"])
            #expect(start.nodeID == config.nodeID && start.replayStore == server.url + "/0")
            #expect(start.manifest == opened.runtime.config.manifest, "the manifest envelope, unchanged")
            #expect(start.keyID == opened.runtime.config.signer.keyID)
            var verifier = AuditLogVerifier(trust: opened.trust)
            verifier.begin(logID: config.logID, checkpoints: try await opened.runtime.store.checkpoints())
            verifier.verify(try await opened.runtime.store.allEntries())
            let report = verifier.end()
            #expect(report.valid, "\(report.problems)")
            // init's start (safe, the manifest) and this one (unsafe, the start record).
            let starts = try await opened.runtime.store.allEntries().filter { $0.entry.kind == .runtimeStarted }
            #expect(starts.count == 2)
            await opened.runtime.store.close()
        }
    }
}
