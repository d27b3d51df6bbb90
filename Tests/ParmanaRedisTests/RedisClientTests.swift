import ParmanaRedis
import Testing

@Suite("RedisClient pool and scripts against redis-server")
struct RedisClientTests {
    @Test("64 concurrent tasks share one client")
    func concurrentTasks() async throws {
        try await withRedisServer { server in
            let client = RedisClient(configuration: server.configuration, poolSize: 4)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        for round in 0..<20 {
                            let key = "task:\(task)"
                            _ = try await client.send(["INCR", "shared"])
                            #expect(try await client.send(["SET", key, "\(round)"]) == .simpleString("OK"))
                            #expect(try await client.send(["GET", key]) == .bulk("\(round)"))
                            let replies = try await client.pipeline([["RPUSH", .string("list:\(task)"), .int(round)], ["LLEN", .string("list:\(task)")]])
                            #expect(replies[1] == .integer(round + 1))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.send(["GET", "shared"]) == .bulk("1280"))
            #expect(client.openConnectionCount <= 4)
            let clients = try await client.send(["CLIENT", "LIST"]).string ?? ""
            #expect(clients.split(separator: "\n").count <= 4, "at most poolSize connections were opened")
            await client.close()
        }
    }

    @Test("close() lets in-flight commands finish, then refuses new ones")
    func gracefulClose() async throws {
        try await withRedisServer { server in
            let client = RedisClient(configuration: server.configuration, poolSize: 1)
            _ = try await client.ping()
            async let slow = capture { () async throws(RedisError) in try await client.send(["DEBUG", "SLEEP", "0.3"]) }
            try await Task.sleep(for: .milliseconds(50))
            await client.close()
            let slowResult = await slow
            #expect(try slowResult.get() == .simpleString("OK"))
            #expect(client.openConnectionCount == 0)
            await expectRedisError("after close", { () async throws(RedisError) in try await client.ping() },
                matches: { $0 == .connectionClosed })
        }
    }

    @Test("evalSHA: SCRIPT LOAD once, then EVALSHA only; EVAL fallback on NOSCRIPT")
    func evalSHAFallback() async throws {
        try await withRedisServer { server in
            let client = RedisClient(configuration: server.configuration, poolSize: 2)
            let script = "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}"
            func stats() async throws -> [String: Int] { try await commandCalls(client) }

            // Never loaded before: loads it, then runs it by digest.
            #expect(try await client.evalSHA(script: script, keys: ["k"], args: ["a"])
                == .array([.bulk("k"), .bulk("a"), .integer(1)]))
            var calls = try await stats()
            #expect(calls["cmdstat_script|load"] == 1)
            #expect(calls["cmdstat_evalsha"] == 1)
            #expect(calls["cmdstat_eval"] == nil)

            // Second call: EVALSHA only, no load, no EVAL.
            #expect(try await client.evalSHA(script: script, keys: ["k"], args: ["b"])
                == .array([.bulk("k"), .bulk("b"), .integer(2)]))
            calls = try await stats()
            #expect(calls["cmdstat_script|load"] == 1)
            #expect(calls["cmdstat_evalsha"] == 2)
            #expect(calls["cmdstat_eval"] == nil)

            // The server forgets the script: EVALSHA answers NOSCRIPT once, EVAL runs it and re-caches it.
            _ = try await client.send(["SCRIPT", "FLUSH"])
            #expect(try await client.evalSHA(script: script, keys: ["k"], args: ["c"])
                == .array([.bulk("k"), .bulk("c"), .integer(3)]))
            calls = try await stats()
            #expect(calls["cmdstat_evalsha"] == 3)
            #expect(calls["cmdstat_eval"] == 1)
            #expect(calls["errorstat_NOSCRIPT"] == 1)
            #expect(try await client.evalSHA(script: script, keys: ["k"], args: ["d"])
                == .array([.bulk("k"), .bulk("d"), .integer(4)]))
            calls = try await stats()
            #expect(calls["cmdstat_evalsha"] == 4)
            #expect(calls["cmdstat_eval"] == 1)

            // scriptLoad returns the same digest the cache holds; script errors are server errors.
            #expect(try await client.scriptLoad(script) == client.scriptCache.sha(for: script))
            await expectRedisError("bad script", { () async throws(RedisError) in
                try await client.evalSHA(script: "return redis.call('NOPE')")
            }, matches: { $0.serverErrorKind == "ERR" })
            await client.close()
        }
    }
}

/// `calls` of every `cmdstat_*` line and `count` of every `errorstat_*` line of `INFO commandstats` and
/// `INFO errorstats`.
private func commandCalls(_ client: RedisClient) async throws -> [String: Int] {
    var result: [String: Int] = [:]
    for section in ["commandstats", "errorstats"] {
        let text = try await client.send(["INFO", .string(section)]).string ?? ""
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            for field in parts[1].split(separator: ",") {
                let pair = field.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == "calls" || pair[0] == "count" { result[String(parts[0])] = Int(pair[1]) }
            }
        }
    }
    return result
}
