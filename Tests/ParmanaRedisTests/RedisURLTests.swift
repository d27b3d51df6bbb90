import ParmanaRedis
import Testing

@Suite("Redis URL parsing")
struct RedisURLTests {
    @Test("accepted forms")
    func accepted() throws {
        #expect(try RedisURL("redis://localhost:6380") == RedisURL(host: "localhost", port: 6380))
        #expect(try RedisURL("redis://localhost") == RedisURL(host: "localhost", port: 6379))
        #expect(try RedisURL("REDIS://h:1/") == RedisURL(host: "h", port: 1))
        #expect(try RedisURL("redis://10.0.0.1:7000/5") == RedisURL(host: "10.0.0.1", port: 7000, database: 5))
        #expect(
            try RedisURL("redis://alice:s3cret@cache:6379/2")
                == RedisURL(host: "cache", port: 6379, username: "alice", password: "s3cret", database: 2)
        )
        #expect(try RedisURL("redis://:pw@h:1") == RedisURL(host: "h", port: 1, password: "pw"))
        #expect(
            try RedisURL("redis://us%65r:p%40ss%3Aw%2Frd%25@h:1")
                == RedisURL(host: "h", port: 1, username: "user", password: "p@ss:w/rd%")
        )
        #expect(try RedisURL("redis://a:b@c@h:1").password == "b@c")  // last @ ends the user info
        #expect(try RedisURL("redis://[::1]:6390/1") == RedisURL(host: "::1", port: 6390, database: 1))
        #expect(try RedisURL("redis://u:%C3%A9@h:1").password == "é")
    }

    @Test(
        "rejected forms",
        arguments: [
            "", "localhost:6379", "http://h:1", "rediss://h:1", "unix:///tmp/redis.sock", "redis://", "redis://:1",
            "redis://h:", "redis://h:0", "redis://h:65536", "redis://h:-1", "redis://h:12ab", "redis://h:1/x",
            "redis://h:1/-1", "redis://h:1/1/2", "redis://h:1?db=2", "redis://h:1#frag", "redis://user@h:1",
            "redis://u:p%zz@h:1", "redis://u:p%4@h:1", "redis://u:%FF@h:1", "redis://[::1", "redis://[::1]x",
        ]
    )
    func rejected(text: String) {
        #expect(throws: RedisURL.ParseError.self) { try RedisURL(text) }
    }

    @Test("description hides the password; configuration takes the URL's fields")
    func descriptionAndConfiguration() throws {
        let url = try RedisURL("redis://alice:secret@h:1/3")
        #expect(url.description == "redis://alice:***@h:1/3")
        let configuration = RedisConfiguration(url: url, commandTimeout: .milliseconds(250))
        #expect(configuration.host == "h")
        #expect(configuration.port == 1)
        #expect(configuration.username == "alice")
        #expect(configuration.password == "secret")
        #expect(configuration.database == 3)
        #expect(configuration.commandTimeout == .milliseconds(250))
    }
}
