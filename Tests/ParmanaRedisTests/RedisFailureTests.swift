import ParmanaRedis
import Testing

@Suite("Failures: timeouts, dying servers, truncated and garbage replies")
struct RedisFailureTests {
    @Test("DEBUG SLEEP past the command timeout: every pending command fails with .timeout, then a fresh connection works")
    func commandTimeout() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration
            configuration.commandTimeout = .milliseconds(200)
            let client = RedisClient(configuration: configuration, poolSize: 1)
            let firstID = try await client.send(["CLIENT", "ID"]).int

            let started = ContinuousClock.now
            async let sleeper = capture { () async throws(RedisError) in try await client.send(["DEBUG", "SLEEP", "1"]) }
            try await Task.sleep(for: .milliseconds(20))
            async let queued = capture { () async throws(RedisError) in try await client.send(["GET", "anything"]) }
            let (sleeperResult, queuedResult) = await (sleeper, queued)
            #expect(throws: RedisError.timeout) { try sleeperResult.get() }
            #expect(throws: RedisError.timeout) { try queuedResult.get() }
            #expect(ContinuousClock.now - started < .milliseconds(900), "timed out before the sleep ended")
            #expect(client.openConnectionCount == 0, "the timed-out connection is closed")

            try await Task.sleep(for: .milliseconds(1100))  // let the server finish DEBUG SLEEP
            #expect(try await client.ping() == "PONG")
            let secondID = try await client.send(["CLIENT", "ID"]).int
            #expect(firstID != nil && secondID != nil && firstID != secondID, "a new connection was opened")
            await client.close()
        }
    }

    @Test("server killed with a reply pending: .connectionClosed; restarted on the same port: the same client works")
    func serverKilledAndRestarted() async throws {
        let server = try await RedisTestServer.start()
        do {
            let client = RedisClient(configuration: server.configuration, poolSize: 2)
            _ = try await client.pipeline([["SET", "before", "1"]])
            #expect(try await client.send(["GET", "before"]) == .bulk("1"))  // both slots connected

            async let blocked = capture { () async throws(RedisError) in try await client.send(["BLPOP", "never", 0]) }
            let admin = try await RedisConnection.connect(configuration: server.configuration)
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                let info = try await admin.send(["INFO", "clients"]).string ?? ""
                if info.contains("blocked_clients:1") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            await server.kill()
            let blockedResult = await blocked
            #expect(throws: RedisError.connectionClosed) { try blockedResult.get() }
            await admin.close()
            let closedBy = ContinuousClock.now + .seconds(5)
            while client.openConnectionCount > 0, ContinuousClock.now < closedBy {
                try await Task.sleep(for: .milliseconds(10))  // the idle slot notices the FIN
            }

            // While the server is down, commands fail at once (no retry loop).
            await expectRedisError("server down", { () async throws(RedisError) in try await client.ping() },
                matches: { if case .connectionRefused = $0 { true } else { false } })

            try await server.restart()
            for round in 0..<4 {  // more rounds than slots: every slot reconnects
                #expect(try await client.send(["INCR", "after"]) == .integer(round + 1))
            }
            #expect(client.openConnectionCount == 2)
            await client.close()
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test("half a bulk reply, then close: .connectionClosed, never a partial value")
    func truncatedReply() async throws {
        try await withFakeServer(.reply(Array("$10\r\nabc".utf8), close: true)) { fake in
            let redis = try await RedisConnection.connect(configuration: fake.configuration)
            await expectRedisError("truncated bulk", { () async throws(RedisError) in try await redis.send(["GET", "k"]) },
                matches: { $0 == .connectionClosed })
        }
        // A complete reply followed by a truncated array: the complete one is delivered, the rest fail.
        try await withFakeServer(.reply(Array("+OK\r\n*3\r\n:1\r\n:2\r\n".utf8), close: true)) { fake in
            let redis = try await RedisConnection.connect(configuration: fake.configuration)
            async let first = capture { () async throws(RedisError) in try await redis.send(["SET", "a", "1"]) }
            async let second = capture { () async throws(RedisError) in try await redis.send(["LRANGE", "l", 0, -1]) }
            async let third = capture { () async throws(RedisError) in try await redis.send(["PING"]) }
            let results = await [first, second, third]
            #expect(try results[0].get() == .simpleString("OK"))
            #expect(throws: RedisError.connectionClosed) { try results[1].get() }
            #expect(throws: RedisError.connectionClosed) { try results[2].get() }
        }
    }

    @Test("garbage from the server: .protocol and the connection is closed")
    func garbageReply() async throws {
        try await withFakeServer(.reply(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8), close: false)) { fake in
            let redis = try await RedisConnection.connect(configuration: fake.configuration)
            await expectRedisError("garbage", { () async throws(RedisError) in try await redis.ping() },
                matches: { if case .protocol = $0 { true } else { false } })
            await expectRedisError("after garbage", { () async throws(RedisError) in try await redis.ping() },
                matches: { $0 == .connectionClosed })
        }
        // A reply nobody asked for is a protocol error too.
        try await withFakeServer(.reply(Array("+PONG\r\n+EXTRA\r\n".utf8), close: false)) { fake in
            let redis = try await RedisConnection.connect(configuration: fake.configuration)
            _ = try? await redis.ping()
            let deadline = ContinuousClock.now + .seconds(5)
            while redis.isConnected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!redis.isConnected)
        }
    }
}
