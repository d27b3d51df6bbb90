import NIOCore
import NIOPosix
import ParmanaRedis
import Testing

@Suite("RedisConnection against redis-server")
struct RedisConnectionTests {
    @Test("basic commands, binary values, error replies, pipelines with errors inside")
    func basicCommands() async throws {
        try await withRedisServer { server in
            let redis = try await RedisConnection.connect(configuration: server.configuration)
            #expect(try await redis.ping() == "PONG")
            #expect(try await redis.ping("hi there") == "hi there")
            #expect(try await redis.send(["SET", "greeting", "hello"]) == .simpleString("OK"))
            #expect(try await redis.send(["GET", "greeting"]) == .bulk("hello"))
            #expect(try await redis.send(["GET", "missing"]) == .bulkString(nil))
            #expect(try await redis.send(["INCRBY", "n", 41]) == .integer(41))
            #expect(try await redis.send(["RPUSH", "list", "a", "b", "c"]) == .integer(3))
            #expect(try await redis.send(["LRANGE", "list", 0, -1]) == .array([.bulk("a"), .bulk("b"), .bulk("c")]))
            #expect(try await redis.send(["BLPOP", "nothing-here", "0.01"]) == .array(nil))

            let binary: [UInt8] = Array(0...255) + [13, 10, 13, 10]
            #expect(try await redis.send(["SET", "bin", .bytes(binary)]) == .simpleString("OK"))
            #expect(try await redis.send(["GET", "bin"]) == .bulkString(binary))
            let key = "string-key"
            #expect(try await redis.send(["SET", key, "x y"]) == .simpleString("OK"))  // [String] overload

            let error = await expectRedisError("LPUSH on a string", { () async throws(RedisError) in
                try await redis.send(["LPUSH", "greeting", "x"])
            }, matches: { $0.serverErrorKind == "WRONGTYPE" })
            #expect(error?.description.contains("WRONGTYPE") == true)

            let replies = try await redis.pipeline([["SET", "p", "1"], ["LPUSH", "p", "x"], ["GET", "p"]])
            #expect(replies.count == 3)
            #expect(replies[0] == .simpleString("OK"))
            guard case .error(let message) = replies[1] else {
                Issue.record("expected an error reply, got \(replies[1])")
                return
            }
            #expect(message.hasPrefix("WRONGTYPE"))
            #expect(replies[2] == .bulk("1"))
            #expect(try await redis.pipeline([] as [[RedisArgument]]).isEmpty)
            await expectRedisError("empty command", { () async throws(RedisError) in try await redis.send([RedisArgument]()) },
                matches: { if case .protocol = $0 { true } else { false } })
            await redis.close()
            #expect(!redis.isConnected)
            await expectRedisError("after close", { () async throws(RedisError) in try await redis.ping() },
                matches: { $0 == .connectionClosed })
        }
    }

    @Test("1,000 pipelined INCRs in one batch reply in order")
    func pipelinedIncrements() async throws {
        try await withRedisServer { server in
            let redis = try await RedisConnection.connect(configuration: server.configuration)
            let replies = try await redis.pipeline(Array(repeating: ["INCR", "counter"] as [RedisArgument], count: 1000))
            #expect(replies == (1...1000).map { RESPValue.integer($0) })
            // Interleaved keys keep their own order too.
            let mixed: [[RedisArgument]] = (0..<1000).map { ["INCR", .string("k\($0 % 7)")] }
            let counts = try await redis.pipeline(mixed)
            #expect(counts == (0..<1000).map { RESPValue.integer($0 / 7 + 1) })
            await redis.close()
        }
    }

    @Test("SELECT on connect, and an out-of-range database is a server error")
    func selectDatabase() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration
            configuration.database = 3
            let db3 = try await RedisConnection.connect(configuration: configuration)
            _ = try await db3.send(["SET", "where", "three"])
            let db0 = try await RedisConnection.connect(configuration: server.configuration)
            #expect(try await db0.send(["GET", "where"]) == .bulkString(nil))
            _ = try await db0.send(["SELECT", 3])
            #expect(try await db0.send(["GET", "where"]) == .bulk("three"))
            #expect(try await db3.send(["CLIENT", "INFO"]).string?.contains(" db=3 ") == true)

            configuration.database = 99
            await expectRedisError("SELECT 99", { () async throws(RedisError) in
                try await RedisConnection.connect(configuration: configuration)
            }, matches: { $0.serverErrorKind == "ERR" })
            await db3.close()
            await db0.close()
        }
    }

    @Test("AUTH with an ACL user; WRONGPASS; NOAUTH without credentials")
    func authentication() async throws {
        try await withRedisServer(["--requirepass", "adminpw"]) { server in
            var admin = server.configuration
            admin.password = "adminpw"  // legacy single-password AUTH for the default user
            let adminConnection = try await RedisConnection.connect(configuration: admin)
            #expect(
                try await adminConnection.send(["ACL", "SETUSER", "alice", "on", ">s3cret", "~*", "&*", "+@all"])
                    == .simpleString("OK")
            )

            var alice = server.configuration
            alice.username = "alice"
            alice.password = "s3cret"
            let aliceConnection = try await RedisConnection.connect(configuration: alice)
            #expect(try await aliceConnection.send(["ACL", "WHOAMI"]).string == "alice")
            let viaURL = try RedisConfiguration(url: RedisURL("redis://alice:s3cret@127.0.0.1:\(server.port)/2"))
            let aliceURLConnection = try await RedisConnection.connect(configuration: viaURL)
            #expect(try await aliceURLConnection.send(["ACL", "WHOAMI"]).string == "alice")

            alice.password = "wrong"
            await expectRedisError("wrong password", { () async throws(RedisError) in
                try await RedisConnection.connect(configuration: alice)
            }, matches: { $0.serverErrorKind == "WRONGPASS" })

            let anonymous = try await RedisConnection.connect(configuration: server.configuration)
            await expectRedisError("no AUTH", { () async throws(RedisError) in try await anonymous.ping() },
                matches: { $0.serverErrorKind == "NOAUTH" })
            for connection in [adminConnection, aliceConnection, aliceURLConnection, anonymous] { await connection.close() }
        }
    }

    @Test("CONFIG GET appendfsync and WAIT 0 0")
    func configGetAndWait() async throws {
        try await withRedisServer { server in
            let redis = try await RedisConnection.connect(configuration: server.configuration)
            #expect(try await redis.configGet("appendfsync") == ["appendfsync": "everysec"])
            #expect(try await redis.configGet("no-such-parameter") == [:])
            let maxmemory = try await redis.configGet("maxmemory*")
            #expect(maxmemory["maxmemory"] == "0")
            #expect(maxmemory.count > 1)
            _ = try await redis.send(["SET", "a", "1"])
            #expect(try await redis.wait(replicas: 0, timeoutMilliseconds: 0) == 0)
            await redis.close()
        }
    }

    @Test("nothing listening: connectionRefused")
    func connectionRefused() async throws {
        let port = try await freePort()
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(2))
        await expectRedisError("refused", { () async throws(RedisError) in
            try await RedisConnection.connect(configuration: configuration)
        }, matches: { $0 == .connectionRefused("127.0.0.1:\(port)") })
    }

    @Test("a TCP connect that gets no answer fails after the connect timeout")
    func connectTimeout() async throws {
        // A listener with backlog 0 that never accepts: once one connection waits in its accept queue, Linux drops
        // further SYNs, so the next connect hangs until the client gives up.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 0)
            .serverChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .milliseconds(300))
        var fillers: [RedisConnection] = []
        for _ in 0..<3 {
            if let filler = try? await RedisConnection.connect(configuration: configuration) { fillers.append(filler) }
        }
        let started = ContinuousClock.now
        await expectRedisError("unanswered connect", { () async throws(RedisError) in
            try await RedisConnection.connect(configuration: configuration)
        }, matches: { if case .connectFailed(let reason) = $0 { reason.contains("timed out") } else { false } })
        #expect(ContinuousClock.now - started < .seconds(3))
        for filler in fillers { await filler.close() }
        try await listener.close()
    }

    @Test("a server that never answers the AUTH handshake: connectFailed within the command timeout")
    func silentHandshake() async throws {
        try await withFakeServer(.silent) { fake in
            var configuration = fake.configuration
            configuration.password = "pw"
            configuration.commandTimeout = .milliseconds(200)
            let started = ContinuousClock.now
            await expectRedisError("silent server", { () async throws(RedisError) in
                try await RedisConnection.connect(configuration: configuration)
            }, matches: { if case .connectFailed = $0 { true } else { false } })
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }
}
