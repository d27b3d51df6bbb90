import NIOCore
import NIOPosix
import ParmanaCore
import ParmanaRuntime

/// The shared replay store of topology A on Redis (SPEC §17.1, §17.3, §18): the
/// ``ReplayStore`` port, each write one Lua script (``RedisReplayScripts``), so a claim is
/// one atomic insert-if-absent whose value is the claim token and which never expires.
///
/// Failures are ``StoreError`` only: nothing listening, a refused or failed connect, an
/// error reply → ``StoreError/unavailable(_:)`` (the command did not take effect); no reply
/// within `timeout` (`store_timeout_ms`) → ``StoreError/timeout(_:)``; the connection lost
/// with a command in flight, or a garbled reply → ``StoreError/outcomeUnknown(_:)``. With
/// `replicas` N > 0, each claim is followed on the same connection by `WAIT N t`; fewer
/// than N acknowledgements → ``StoreError/outcomeUnknown(_:)`` (`store_unavailable`; the
/// caller treats the claim as in doubt).
///
/// The client reconnects by itself: after Redis restarts, the next command opens a new
/// connection and scripts are reloaded through the `EVAL` fallback.
public final class RedisReplayStore: ReplayStore {
    /// The server's URL without credentials: `redis://HOST:PORT/DB`.
    public let address: String
    /// Every key this store writes starts with it (default `parmana:`).
    public let prefix: String
    public let replicas: Int
    public let timeout: Duration
    let client: RedisClient
    private let batcher: RedisClaimBatcher

    /// Makes the store; no connection is opened before the first command.
    ///
    /// - Parameters:
    ///   - url: `redis://[user:password@]HOST:PORT[/DB]`.
    ///   - prefix: key prefix (default `parmana:`), e.g. one per test or per cluster.
    ///   - timeout: connect and per-command time limit (`store_timeout_ms`).
    ///   - replicas: `replay_store_replicas`; 0 sends no `WAIT`.
    ///   - poolSize: pipelined connections shared by all callers.
    public init(url: RedisURL, prefix: String = "parmana:", timeout: Duration = .milliseconds(2000), replicas: Int = 0,
                poolSize: Int = 4, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        let configuration = RedisConfiguration(url: url, connectTimeout: timeout, commandTimeout: timeout)
        address = "redis://\(configuration.address)/\(url.database)"
        self.prefix = prefix
        self.replicas = max(0, replicas)
        self.timeout = timeout
        client = RedisClient(configuration: configuration, poolSize: poolSize, eventLoopGroup: eventLoopGroup)
        batcher = RedisClaimBatcher()
    }

    // MARK: keys

    func claimKey(_ fingerprint: String) -> RedisArgument { .string(prefix + "claim:" + fingerprint) }
    func inFlightKey(_ node: String) -> RedisArgument { .string(prefix + "inflight:" + node) }
    func inDoubtKey(_ node: String) -> RedisArgument { .string(prefix + "indoubt:" + node) }
    func claimKeyLink(_ fingerprint: String) -> RedisArgument { .string(prefix + "claimidem:" + fingerprint) }
    var idempotencyPrefix: String { prefix + "idem:" }
    func idempotencyKey(_ key: String) -> RedisArgument { .string(idempotencyPrefix + key) }

    /// A set member: `"{fingerprint} {token}"`.
    static func member(_ claim: ReplayClaim) -> RedisArgument { .string(claim.fingerprint + " " + claim.token) }

    static func claim(member: [UInt8]) -> ReplayClaim? {
        guard let space = member.firstIndex(of: 0x20) else { return nil }
        return ReplayClaim(fingerprint: String(decoding: member[..<space], as: UTF8.self),
                           token: String(decoding: member[(space + 1)...], as: UTF8.self))
    }

    // MARK: errors

    /// The one mapping of client failures to the store port (see the type's doc).
    func storeError(_ e: RedisError, _ what: String) -> StoreError {
        switch e {
        case .connectionRefused, .connectFailed: .unavailable("\(what): Redis at \(address): \(e)")
        case .server(let message): .unavailable("\(what): Redis at \(address) answered \(message)")
        case .timeout: .timeout("\(what): Redis at \(address) did not answer within \(timeout)")
        case .connectionClosed, .protocol: .outcomeUnknown("\(what): Redis at \(address): \(e)")
        }
    }

    func run<T>(_ what: String, _ body: () async throws(RedisError) -> T) async throws(StoreError) -> T {
        do { return try await body() } catch { throw storeError(error, what) }
    }

    /// Runs a write script (by digest, else by source), followed on the same connection
    /// by `WAIT` when `wait` and replicas are configured; returns the script's reply and
    /// the number of replicas that acknowledged (nil without `WAIT`).
    @discardableResult
    func write(_ what: String, _ script: String, keys: [RedisArgument], args: [RedisArgument],
               wait: Bool = false) async throws(StoreError) -> (reply: RESPValue, replicas: Int?) {
        let waits = wait && replicas > 0
        let tail: [RedisArgument] = [.int(keys.count)] + keys + args
        // WAIT returns before the command timeout, so its own answer is not a timeout.
        let timeoutMilliseconds = Int(timeout.components.seconds) * 1000 + Int(timeout.components.attoseconds / 1_000_000_000_000_000)
        let waitCommand: [RedisArgument] = ["WAIT", .int(replicas), .int(max(1, timeoutMilliseconds * 3 / 4))]
        let replies: [RESPValue] = try await run(what) { () throws(RedisError) in
            let sha: String
            if let cached = client.scriptCache.sha(for: script) { sha = cached } else { sha = try await client.scriptLoad(script) }
            var commands: [[RedisArgument]] = [["EVALSHA", .string(sha)] + tail]
            if waits { commands.append(waitCommand) }
            var replies = try await client.pipeline(commands)
            if case .error(let message) = replies[0], message.hasPrefix("NOSCRIPT") {
                commands[0] = ["EVAL", .string(script)] + tail
                replies = try await client.pipeline(commands)
            }
            return replies
        }
        if case .error(let message) = replies[0] { throw storeError(.server(message), what) }
        guard waits else { return (replies[0], nil) }
        guard case .integer(let acknowledged) = replies[1] else {
            throw StoreError.outcomeUnknown("\(what): unexpected WAIT reply \(replies[1]) from Redis at \(address)")
        }
        return (replies[0], acknowledged)
    }

    // MARK: ReplayStore

    /// Claim script calls sent and the claims they carried (``RedisClaimBatcher``).
    public var claimStats: (calls: Int, claims: Int) { batcher.stats }

    /// Claims through ``RedisClaimBatcher``: concurrent claims share one script call.
    public func consume(_ claim: ReplayClaim, idempotency: IdempotencyRecord?) async throws(StoreError) -> ReplayOutcome {
        try await batcher.consume(claim, idempotency: idempotency) { requests in await self.consume(requests) }
    }

    /// One script call (and `WAIT`) for `requests`, in order; one outcome per request. A
    /// failed call fails every request with the same error.
    func consume(_ requests: [RedisClaimBatcher.Request]) async -> [Result<ReplayOutcome, StoreError>] {
        var keys: [RedisArgument] = [], args: [RedisArgument] = []
        keys.reserveCapacity(4 * requests.count)
        args.reserveCapacity(6 * requests.count)
        for (claim, idempotency) in requests {
            let key = idempotency?.key ?? ""
            keys += [claimKey(claim.fingerprint), inFlightKey(claim.nodeID), idempotencyKey(key), claimKeyLink(claim.fingerprint)]
            args += [.string(claim.token), Self.member(claim), .string(idempotency?.requestHash ?? ""), .string(claim.executionID),
                     .string(claim.nodeID), .string(key)]
        }
        let reply: RESPValue, acknowledged: Int?
        do {
            (reply, acknowledged) = try await write("claim", RedisReplayScripts.consume, keys: keys, args: args, wait: true)
        } catch {
            return requests.map { _ in .failure(error) }
        }
        guard let replies = reply.array, replies.count == requests.count else {
            return requests.map { _ in .failure(.corrupt("claim: unexpected reply \(reply) from Redis at \(address)")) }
        }
        var outcomes: [Result<ReplayOutcome, StoreError>] = []
        outcomes.reserveCapacity(requests.count)
        for ((claim, idempotency), item) in zip(requests, replies) {
            do throws(StoreError) {
                outcomes.append(.success(try outcome(of: claim, key: idempotency?.key ?? "", item)))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        if let acknowledged, acknowledged < replicas {
            // Written on the primary only: the claims made count for nothing, and are listed
            // for reconciliation (SPEC §17.3).
            for (k, (claim, _)) in requests.enumerated() where (try? outcomes[k].get()) == .consumed {
                try? await markInDoubt(claim)
                outcomes[k] = .failure(.outcomeUnknown("claim of \(claim.fingerprint): only \(acknowledged) of \(replicas) replicas of Redis at \(address) acknowledged it; the claim is in doubt"))
            }
        }
        return outcomes
    }

    /// One claim's reply of ``RedisReplayScripts/consume``.
    func outcome(of claim: ReplayClaim, key: String, _ reply: RESPValue) throws(StoreError) -> ReplayOutcome {
        guard let items = reply.array, let kind = items.first?.string else {
            throw StoreError.corrupt("claim: unexpected reply \(reply) from Redis at \(address)")
        }
        switch kind {
        case "consumed":
            return .consumed
        case "replay":
            guard items.count == 2, let token = items[1].string, let holder = ReplayClaim(fingerprint: claim.fingerprint, token: token) else {
                throw StoreError.corrupt("claim of \(claim.fingerprint): the stored token \(items.dropFirst()) is not node_id/execution_id")
            }
            return .replay(executionID: holder.executionID, nodeID: holder.nodeID)
        case "key":
            guard items.count == 6 else { throw StoreError.corrupt("claim: unexpected reply \(reply) from Redis at \(address)") }
            return .idempotencyKeyBound(try record(key, Array(items[1...])))
        default:
            throw StoreError.corrupt("claim: unexpected reply \(reply) from Redis at \(address)")
        }
    }

    /// An idempotency record from `request_hash, execution_id, state, node, attestation`.
    func record(_ key: String, _ fields: [RESPValue]) throws(StoreError) -> IdempotencyRecord {
        guard fields.count == 5, let requestHash = fields[0].string, let executionID = fields[1].string, let state = fields[2].string,
              state == "in_progress" || state == "done" else {
            throw StoreError.corrupt("idempotency key \(key): unreadable record in Redis at \(address)")
        }
        let node = fields[3].string.flatMap { $0.isEmpty ? nil : $0 }
        let attestation = fields[4].bytes.flatMap { $0.isEmpty ? nil : $0 }
        if state == "done" && attestation == nil {
            throw StoreError.corrupt("idempotency key \(key): done without an attestation in Redis at \(address)")
        }
        return IdempotencyRecord(key: key, requestHash: requestHash, executionID: executionID, attestation: attestation,
                                 inProgress: state == "in_progress", nodeID: node)
    }

    public func release(_ claim: ReplayClaim) async throws(StoreError) {
        try await write(
            "release", RedisReplayScripts.release,
            keys: [claimKey(claim.fingerprint), inFlightKey(claim.nodeID), inDoubtKey(claim.nodeID), claimKeyLink(claim.fingerprint)],
            args: [.string(claim.token), Self.member(claim), .string(idempotencyPrefix), .string(claim.executionID)])
    }

    public func settle(_ claim: ReplayClaim, attestation: [UInt8]?) async throws(StoreError) {
        try await write(
            "settle", RedisReplayScripts.settle,
            keys: [inFlightKey(claim.nodeID), inDoubtKey(claim.nodeID), claimKeyLink(claim.fingerprint)],
            args: [Self.member(claim), .string(idempotencyPrefix), .string(claim.executionID), .bytes(attestation ?? [])])
    }

    /// `SREM` of every claim's member from its node's in-flight and in-doubt sets, all in
    /// one pipelined round trip (each `SREM` is idempotent; the claims stay).
    public func settle(_ claims: [ReplayClaim]) async throws(StoreError) {
        guard !claims.isEmpty else { return }
        var commands: [[RedisArgument]] = []
        for (node, group) in Dictionary(grouping: claims, by: \.nodeID) {
            let members = group.map(Self.member)
            commands.append(["SREM", inFlightKey(node)] + members)
            commands.append(["SREM", inDoubtKey(node)] + members)
        }
        let replies = try await run("settle") { () throws(RedisError) in try await client.pipeline(commands) }
        for reply in replies {
            if case .error(let message) = reply { throw storeError(.server(message), "settle") }
        }
    }

    public func markInDoubt(_ claim: ReplayClaim) async throws(StoreError) {
        try await write("mark in doubt", RedisReplayScripts.markInDoubt,
                            keys: [inFlightKey(claim.nodeID), inDoubtKey(claim.nodeID)], args: [Self.member(claim)])
    }

    public func inDoubt(node: String, includeInFlight: Bool) async throws(StoreError) -> [ReplayClaim] {
        var commands: [[RedisArgument]] = [["SMEMBERS", inDoubtKey(node)]]
        if includeInFlight { commands.append(["SMEMBERS", inFlightKey(node)]) }
        let replies = try await run("list in-doubt claims") { () throws(RedisError) in try await client.pipeline(commands) }
        var out = Set<ReplayClaim>()
        for reply in replies {
            if case .error(let message) = reply { throw storeError(.server(message), "list in-doubt claims") }
            for item in reply.array ?? [] {
                guard let bytes = item.bytes, let claim = Self.claim(member: bytes) else {
                    throw StoreError.corrupt("the in-doubt list of \(node) holds \(item), not a claim")
                }
                out.insert(claim)
            }
        }
        return out.sorted { $0.fingerprint < $1.fingerprint }
    }

    public func claim(of fingerprint: String) async throws(StoreError) -> ReplayClaim? {
        let reply = try await run("read claim") { () throws(RedisError) in try await client.send(["GET", claimKey(fingerprint)]) }
        guard let token = reply.string else { return nil }
        guard let claim = ReplayClaim(fingerprint: fingerprint, token: token) else {
            throw StoreError.corrupt("the claim on \(fingerprint) holds \(token), not node_id/execution_id")
        }
        return claim
    }

    public func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? {
        let reply = try await run("read idempotency key") { () throws(RedisError) in
            try await client.send(["HMGET", idempotencyKey(key), "request_hash", "execution_id", "state", "node", "attestation"])
        }
        guard let fields = reply.array, fields.count == 5 else {
            throw StoreError.corrupt("idempotency key \(key): unexpected reply \(reply)")
        }
        if fields[0].isNull { return nil }
        return try record(key, fields)
    }

    /// Binds `node` to the log `logID` at its first use (`SET P node:{node} logID NX`, never
    /// expiring) and returns the log the node id is bound to: `logID` unless another
    /// workspace used this node id first. A node id must name one node (SPEC §17.1): two
    /// workspaces under one id would reconcile each other's claims away.
    public func bind(node: String, log logID: String) async throws(StoreError) -> String {
        let key = RedisArgument.string(prefix + "node:" + node)
        let replies = try await run("bind the node id") { () throws(RedisError) in
            try await client.pipeline([["SET", key, .string(logID), "NX"], ["GET", key]])
        }
        for reply in replies {
            if case .error(let message) = reply { throw storeError(.server(message), "bind the node id") }
        }
        guard let owner = replies[1].string else {
            throw StoreError.corrupt("the node id \(node) has no log in Redis at \(address) right after it was bound")
        }
        return owner
    }

    /// Answers `PING` within the timeout.
    public func isHealthy() async -> Bool {
        (try? await client.ping()) == "PONG"
    }

    public func close() async {
        await client.close()
    }

    // MARK: durability

    /// The durability settings as `CONFIG GET` reports them (SPEC §17.3). A server that
    /// refuses `CONFIG` (a managed service) gives values nil and the refusal in
    /// ``RedisDurability/readError``; an unreachable one throws.
    public func durability() async throws(StoreError) -> RedisDurability {
        let replies = try await run("read the durability settings") { () throws(RedisError) in
            try await client.pipeline(RedisDurability.settings.map { ["CONFIG", "GET", .string($0)] })
        }
        var values: [String: String] = [:]
        var readError: String?
        for reply in replies {
            if case .error(let message) = reply {
                readError = message
                continue
            }
            let items = reply.array ?? []
            for i in stride(from: 0, to: items.count - 1, by: 2) {
                if let name = items[i].string, let value = items[i + 1].string { values[name] = value }
            }
        }
        return RedisDurability(values: values, readError: readError)
    }
}
