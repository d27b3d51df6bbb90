import Foundation
import ParmanaCore
import ParmanaRedis
import ParmanaRuntime
import ParmanaTesting
import Testing

@Suite("RedisReplayStore: the replay-store port on a real Redis")
struct RedisReplayStoreTests {
    @Test("ReplayStoreConformance passes against Redis")
    func conformance() async throws {
        try await ReplayStoreConformance(make: { try RedisTestEnvironment.store() }).runAll()
    }

    @Test("a claim is one string whose value is the token, with no expiry; the node's in-flight set lists it")
    func storedForm() async throws {
        let prefix = RedisTestEnvironment.freshPrefix()
        let store = try RedisTestEnvironment.store(prefix: prefix)
        let raw = RedisClient(configuration: RedisConfiguration(url: try RedisURL(try RedisTestEnvironment.url())))
        let claim = ReplayClaim(fingerprint: Hashing.sha256Hex(Array(prefix.utf8)), nodeID: "node-a", executionID: ConformanceData.id(1))
        #expect(try await store.consume(claim) == .consumed)
        #expect(try await raw.send(["GET", .string(prefix + "claim:" + claim.fingerprint)]) == .bulk("node-a/" + claim.executionID))
        #expect(try await raw.send(["TTL", .string(prefix + "claim:" + claim.fingerprint)]) == .integer(-1), "claims never expire")
        #expect(try await raw.send(["SMEMBERS", .string(prefix + "inflight:node-a")]) == .array([.bulk(claim.fingerprint + " " + claim.token)]))
        try await store.markInDoubt(claim)
        #expect(try await raw.send(["SCARD", .string(prefix + "inflight:node-a")]) == .integer(0))
        #expect(try await raw.send(["SCARD", .string(prefix + "indoubt:node-a")]) == .integer(1))
        // A script cache flushed (as after a restart): the EVAL fallback loads it again.
        _ = try await raw.send(["SCRIPT", "FLUSH"])
        try await store.settle(claim)
        #expect(try await raw.send(["SCARD", .string(prefix + "indoubt:node-a")]) == .integer(0))
        #expect(try await store.claim(of: claim.fingerprint) == claim)
        await raw.close()
        await store.close()
    }

    @Test("concurrent claims share script calls; each gets its own outcome, in order within the batch")
    func concurrentClaimsAreBatched() async throws {
        let store = try RedisTestEnvironment.store()
        let prefix = UUID().uuidString
        // 200 distinct fingerprints, and each of the first 20 claimed twice: one wins.
        let claims = (0..<220).map { n in
            ReplayClaim(fingerprint: Hashing.sha256Hex(Array("\(prefix) \(n % 200)".utf8)), nodeID: "node-\(n % 3)", executionID: ConformanceData.id(5000 + n))
        }
        let outcomes = try await withThrowingTaskGroup(of: (Int, ReplayOutcome).self) { g in
            for (n, c) in claims.enumerated() { g.addTask { (n, try await store.consume(c)) } }
            var all: [Int: ReplayOutcome] = [:]
            for try await (n, o) in g { all[n] = o }
            return all
        }
        for f in 0..<200 {
            let mine = [f] + (f < 20 ? [f + 200] : [])
            let winners = mine.filter { outcomes[$0] == .consumed }
            #expect(winners.count == 1, "fingerprint \(f)")
            guard let w = winners.first else { continue }
            for loser in mine where loser != w {
                #expect(outcomes[loser] == .replay(executionID: claims[w].executionID, nodeID: claims[w].nodeID))
            }
            #expect(try await store.claim(of: claims[f].fingerprint) == claims[w])
        }
        let stats = store.claimStats
        #expect(stats.claims == 220)
        #expect(stats.calls < 220, "\(stats.calls) script calls for 220 concurrent claims")
        print("Redis claims: 220 concurrent claims in \(stats.calls) script calls")
        await store.close()
    }

    @Test("nothing listening: store unavailable at once (a definite failure), and not healthy")
    func refused() async throws {
        let port = try await freePort()
        let store = RedisReplayStore(url: RedisURL(host: "127.0.0.1", port: port), timeout: .seconds(2))
        let claim = ReplayClaim(fingerprint: String(repeating: "a", count: 64), nodeID: "n", executionID: ConformanceData.id(1))
        let started = ContinuousClock.now
        do {
            _ = try await store.consume(claim)
            Issue.record("claimed on a closed port")
        } catch {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
            #expect(!error.outcomeIsUnknown)
            #expect(ParmanaError(error).code == .storeUnavailable)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(await !store.isHealthy())
        await store.close()
    }

    @Test("replay_store_replicas 1 without a replica: WAIT falls short, store_unavailable, and the claim is in doubt")
    func waitWithoutReplicas() async throws {
        // WAIT gets 3/4 of the timeout; the rest must cover the round trip even on a busy
        // 2-core CI machine (at 400 ms the whole pipeline once timed out before WAIT's
        // answer, which is another path: outcome unknown with the claim left in flight).
        let store = try RedisTestEnvironment.store(timeout: .seconds(2), replicas: 1)
        let claim = ReplayClaim(fingerprint: String(repeating: "b", count: 64), nodeID: "node-w", executionID: ConformanceData.id(2))
        do {
            _ = try await store.consume(claim)
            Issue.record("a claim counted without its replica")
        } catch {
            #expect(error.outcomeIsUnknown, "\(error)")
            #expect(ParmanaError(error).code == .storeUnavailable)
        }
        #expect(try await store.inDoubt(node: "node-w", includeInFlight: false) == [claim])
        await store.close()
    }

    @Test("replay_store_replicas 1 with a real replica: WAIT acknowledges and the claim counts")
    func waitWithAReplica() async throws {
        try await withRedisServer(RedisTestEnvironment.durable) { primary in
            try await withRedisServer(RedisTestEnvironment.durable + ["--replicaof", "127.0.0.1", String(primary.port)]) { replica in
                // Bounded polling until the replica is in sync (a server coming up).
                let probe = RedisClient(configuration: replica.configuration)
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline {
                    let info = try await probe.send(["INFO", "replication"]).string ?? ""
                    if info.contains("master_link_status:up") { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                await probe.close()
                let store = RedisReplayStore(url: try RedisURL(primary.url), timeout: .seconds(2), replicas: 1)
                let claim = ReplayClaim(fingerprint: String(repeating: "c", count: 64), nodeID: "node-r", executionID: ConformanceData.id(3))
                #expect(try await store.consume(claim) == .consumed)
                #expect(try await store.inDoubt(node: "node-r", includeInFlight: false).isEmpty)
                let onReplica = RedisReplayStore(url: try RedisURL(replica.url), timeout: .seconds(2))
                #expect(try await onReplica.claim(of: claim.fingerprint) == claim)
                await onReplica.close()
                await store.close()
            }
        }
    }
}
