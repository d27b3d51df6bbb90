import NIOCore
import NIOPosix
import Synchronization

/// A pool of up to ``poolSize`` pipelined ``RedisConnection``s to one server, safe to share between any number of
/// tasks.
///
/// Each command picks the next pool slot round-robin and is pipelined on that slot's connection, so many commands
/// share a connection. Slots connect lazily, on first use. A slot whose connection has closed (server restart,
/// network error, command timeout, protocol error) is reconnected by the next command that picks it, so the client
/// recovers by itself once the server is reachable again. Commands never sleep or retry: a command either gets a
/// live connection (connecting within ``RedisConfiguration/connectTimeout`` if needed) or fails with the connect
/// error, and a command that was in flight when its connection broke fails with that error (it is not re-sent,
/// since it may have been executed).
///
/// Concurrent commands that pick a slot while it is connecting wait for that one connection attempt.
///
/// Per-connection state (`MULTI`, `WATCH`, `CLIENT SETNAME`, Pub/Sub) must not be used through the pool: other
/// tasks' commands are interleaved on the same connections. Use a dedicated ``RedisConnection`` for that.
public final class RedisClient: RedisCommandExecutor, Sendable {
    /// The settings every pooled connection is opened with.
    public let configuration: RedisConfiguration
    /// Maximum number of connections, at least 1.
    public let poolSize: Int
    /// Digests of loaded scripts, shared by all pooled connections.
    public let scriptCache = RedisScriptCache()
    private let eventLoopGroup: any EventLoopGroup
    private let state: Mutex<State>

    private enum Slot: Sendable {
        case empty
        case connecting(id: UInt64, EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
    }

    private struct State: Sendable {
        var slots: [Slot]
        var nextSlot = 0
        var nextAttemptID: UInt64 = 0
        var isClosed = false
    }

    private enum Acquisition {
        case use(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case connect(slot: Int, id: UInt64, EventLoopPromise<RedisConnection>)
        case closed
    }

    /// Creates the client; no connection is opened until the first command.
    ///
    /// - Parameters:
    ///   - configuration: address, credentials, database and timeouts for every connection.
    ///   - poolSize: maximum number of connections (clamped to at least 1). Default 4.
    ///   - eventLoopGroup: where the channels live; defaults to NIO's shared singleton group.
    public init(
        configuration: RedisConfiguration,
        poolSize: Int = 4,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.poolSize = max(1, poolSize)
        self.eventLoopGroup = eventLoopGroup
        self.state = Mutex(State(slots: Array(repeating: .empty, count: max(1, poolSize))))
    }

    /// Runs one command on a pooled connection. See ``RedisConnection/send(_:)`` for replies and errors; in
    /// addition it throws the connect errors of ``RedisConnection/connect(configuration:eventLoopGroup:scriptCache:)``
    /// when the slot had to (re)connect and could not, and ``RedisError/connectionClosed`` after ``close()``.
    public func send(_ command: [RedisArgument]) async throws(RedisError) -> RESPValue {
        try await acquire().send(command)
    }

    /// Runs all `commands` on one pooled connection with a single flush. See ``RedisConnection/pipeline(_:)``.
    public func pipeline(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RESPValue] {
        try await acquire().pipeline(commands)
    }

    /// Number of pool slots holding a connection that is currently open.
    public var openConnectionCount: Int {
        state.withLock { state in
            state.slots.count { slot in
                if case .connected(let connection) = slot { return connection.isConnected }
                return false
            }
        }
    }

    /// Refuses new commands (they fail with ``RedisError/connectionClosed``), lets the commands already written
    /// receive their replies (each bounded by the command timeout), then closes every connection, including ones
    /// still being opened. Returns when all are closed. Idempotent.
    public func close() async {
        let slots = state.withLock { state in
            state.isClosed = true
            defer { state.slots = Array(repeating: .empty, count: state.slots.count) }
            return state.slots
        }
        await withTaskGroup(of: Void.self) { group in
            for slot in slots {
                switch slot {
                case .empty:
                    break
                case .connected(let connection):
                    group.addTask { await connection.close() }
                case .connecting(_, let future):
                    group.addTask { try? await future.get().close() }
                }
            }
        }
    }

    // MARK: - Pool

    private func acquire() async throws(RedisError) -> RedisConnection {
        let eventLoop = eventLoopGroup.any()
        let acquisition = state.withLock { state -> Acquisition in
            guard !state.isClosed else { return .closed }
            let index = state.nextSlot
            state.nextSlot = (index + 1) % state.slots.count
            switch state.slots[index] {
            case .connected(let connection) where connection.isConnected:
                return .use(connection)
            case .connecting(_, let future):
                return .wait(future)
            case .connected, .empty:
                let id = state.nextAttemptID
                state.nextAttemptID += 1
                let promise = eventLoop.makePromise(of: RedisConnection.self)
                state.slots[index] = .connecting(id: id, promise.futureResult)
                return .connect(slot: index, id: id, promise)
            }
        }
        switch acquisition {
        case .use(let connection):
            return connection
        case .closed:
            throw .connectionClosed
        case .wait(let future):
            do {
                return try await future.get()
            } catch {
                throw (error as? RedisError) ?? .connectionClosed
            }
        case .connect(let index, let id, let promise):
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration, eventLoopGroup: eventLoopGroup, scriptCache: scriptCache
                )
                try await install(connection, slot: index, id: id)
                promise.succeed(connection)
                return connection
            } catch {
                release(slot: index, id: id)
                promise.fail(error)
                throw error
            }
        }
    }

    /// Puts a fresh connection into its slot, unless the client was closed meanwhile.
    private func install(_ connection: RedisConnection, slot index: Int, id: UInt64) async throws(RedisError) {
        let installed = state.withLock { state -> Bool in
            guard !state.isClosed, case .connecting(id, _) = state.slots[index] else { return false }
            state.slots[index] = .connected(connection)
            return true
        }
        if !installed {
            await connection.close()
            throw .connectionClosed
        }
    }

    /// Empties the slot after a failed attempt, so the next command that picks it tries again.
    private func release(slot index: Int, id: UInt64) {
        state.withLock { state in
            if case .connecting(id, _) = state.slots[index] {
                state.slots[index] = .empty
            }
        }
    }
}
