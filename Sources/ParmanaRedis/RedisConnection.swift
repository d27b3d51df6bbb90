import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to a Redis server, speaking RESP2 over a single NIO channel.
///
/// Commands are pipelined: any number of tasks may call ``send(_:)`` concurrently; each command is written as soon
/// as it is issued and replies are matched to commands in the order they were written (FIFO), which is the order
/// Redis answers in. A connection is not reconnected: once closed (by ``close()``, the server, a protocol error or
/// a timeout) every further command fails with ``RedisError/connectionClosed``. ``RedisClient`` replaces broken
/// connections automatically.
///
/// Not supported on this type: Pub/Sub and `MONITOR` (the server pushes replies that match no command, which is
/// treated as a protocol error), and RESP3 (`HELLO 3`).
public final class RedisConnection: RedisCommandExecutor, Sendable {
    /// The settings this connection was opened with.
    public let configuration: RedisConfiguration
    /// SHA1s returned by `SCRIPT LOAD`, used by ``RedisCommandExecutor/evalSHA(script:keys:args:)``.
    public let scriptCache: RedisScriptCache
    private let channel: any Channel

    private init(channel: any Channel, configuration: RedisConfiguration, scriptCache: RedisScriptCache) {
        self.channel = channel
        self.configuration = configuration
        self.scriptCache = scriptCache
    }

    /// Opens a connection: TCP connect (bounded by ``RedisConfiguration/connectTimeout``), then `AUTH` if a
    /// password is configured and `SELECT` if the database is not 0, pipelined (each bounded by
    /// ``RedisConfiguration/commandTimeout``).
    ///
    /// - Parameters:
    ///   - configuration: address, credentials, database, timeouts.
    ///   - eventLoopGroup: where the channel lives; defaults to NIO's shared singleton group.
    ///   - scriptCache: share one cache between connections to the same server; a fresh one by default.
    /// - Throws: ``RedisError/connectionRefused(_:)`` when nothing listens; ``RedisError/connectFailed(_:)`` on
    ///   DNS failure, connect timeout or a handshake that does not complete; ``RedisError/server(_:)`` when the
    ///   server rejects `AUTH` (kind `WRONGPASS`) or `SELECT` (kind `ERR`).
    public static func connect(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        scriptCache: RedisScriptCache = RedisScriptCache()
    ) async throws(RedisError) -> RedisConnection {
        let limits = configuration.decoderLimits
        let commandTimeout = TimeAmount(configuration.commandTimeout)
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RESPDecoder(limits: limits)),
                        RedisConnectionHandler(commandTimeout: commandTimeout),
                    ])
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw mapConnectError(error, configuration: configuration)
        }
        let connection = RedisConnection(channel: channel, configuration: configuration, scriptCache: scriptCache)
        do {
            try await connection.handshake()
        } catch {
            await connection.abort()
            throw error
        }
        return connection
    }

    /// `true` until the channel closes. A `true` answer can be stale by the time a command is written.
    public var isConnected: Bool { channel.isActive }

    /// Sends one command and waits for its reply.
    ///
    /// - Parameter command: the command name and its arguments, e.g. `["SET", "k", "v"]`. Must not be empty.
    /// - Returns: the reply; never ``RESPValue/error(_:)`` (that is thrown as ``RedisError/server(_:)``).
    /// - Throws: ``RedisError/server(_:)`` for an error reply; ``RedisError/timeout`` when no reply came within
    ///   ``RedisConfiguration/commandTimeout``; ``RedisError/connectionClosed`` when the connection is or becomes
    ///   closed; ``RedisError/protocol(_:)`` for an undecodable reply or an empty command.
    public func send(_ command: [RedisArgument]) async throws(RedisError) -> RESPValue {
        let reply = try await pipeline([command])[0]
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    /// Writes all `commands` with a single flush and waits for all replies.
    ///
    /// - Returns: one reply per command, in order. Error replies stay in the array as ``RESPValue/error(_:)``
    ///   so that one failing command does not hide the others' results.
    /// - Throws: the first connection-level failure (``RedisError/timeout``, ``RedisError/connectionClosed``,
    ///   ``RedisError/protocol(_:)``); replies already received are then discarded. Empty commands are rejected
    ///   with ``RedisError/protocol(_:)`` before anything is written.
    public func pipeline(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        guard !commands.contains(where: \.isEmpty) else { throw .protocol("cannot send an empty command") }
        var encoded = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands { RESPEncoder.writeCommand(command, into: &encoded) }

        let eventLoop = channel.eventLoop
        let promises = commands.map { _ in eventLoop.makePromise(of: RESPValue.self) }
        let written = eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in
            // The handler never saw the request (the pipeline is gone): nobody else will complete these.
            promises.forEach { $0.fail(RedisError.connectionClosed) }
        }
        channel.writeAndFlush(RedisRequest(encoded: encoded, promises: promises), promise: written)
        do {
            return try await EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: eventLoop).get()
        } catch {
            throw (error as? RedisError) ?? .connectionClosed
        }
    }

    /// Stops accepting commands, waits for the replies of commands already sent (each still bounded by the
    /// command timeout), then closes the channel. Returns when the channel is closed. Idempotent.
    public func close() async {
        channel.triggerUserOutboundEvent(RedisGracefulCloseEvent(), promise: nil)
        try? await channel.closeFuture.get()
    }

    /// Closes at once; pending commands fail with ``RedisError/connectionClosed``.
    func abort() async {
        try? await channel.close()
    }

    private func handshake() async throws(RedisError) {
        var commands: [[RedisArgument]] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(["AUTH", .string(username), .string(password)])
            } else {
                commands.append(["AUTH", .string(password)])
            }
        }
        if configuration.database != 0 {
            commands.append(["SELECT", .int(configuration.database)])
        }
        guard !commands.isEmpty else { return }
        let replies: [RESPValue]
        do {
            replies = try await pipeline(commands)
        } catch .timeout {
            throw .connectFailed("no reply to AUTH/SELECT from \(configuration.address) within the command timeout")
        } catch .connectionClosed {
            throw .connectFailed("\(configuration.address) closed the connection during AUTH/SELECT")
        }
        for reply in replies {
            if case .error(let message) = reply { throw .server(message) }
        }
    }

    private static func mapConnectError(_ error: any Error, configuration: RedisConfiguration) -> RedisError {
        let address = configuration.address
        if let error = error as? RedisError { return error }
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return .connectFailed("timed out connecting to \(address) after \(amount.nanoseconds / 1_000_000) ms")
        }
        if let error = error as? NIOConnectionError {
            if let dnsError = error.dnsAError ?? error.dnsAAAAError, error.connectionErrors.isEmpty {
                return .connectFailed("cannot resolve \(configuration.host): \(dnsError)")
            }
            if error.connectionErrors.contains(where: { isRefused($0.error) }) {
                return .connectionRefused(address)
            }
            if let first = error.connectionErrors.first {
                return mapConnectError(first.error, configuration: configuration)
            }
            return .connectFailed("cannot connect to \(address): \(error)")
        }
        if isRefused(error) { return .connectionRefused(address) }
        return .connectFailed("cannot connect to \(address): \(error)")
    }

    private static func isRefused(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == ECONNREFUSED
    }
}
