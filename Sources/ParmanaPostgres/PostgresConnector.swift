import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ParmanaRuntime
import PostgresNIO
import Synchronization

/// This node's connections to PostgreSQL: a small `PostgresClient` pool, and the one
/// place where time bounds and connection failures become ``StoreError``.
///
/// ``lease(until:grace:_:)`` waits for a connection at most until a deadline (a lease that
/// never came means nothing was sent: ``StoreError/unavailable(_:)``), runs the body, and
/// closes the connection if the body is still running `grace` after the deadline, so a
/// silent network can never hold a caller, or the writer, for longer.
///
/// The pool backs off between connection attempts (up to a minute) and, after a minute
/// without any, fails every lease at once. So that decisions resume as soon as the server
/// is back, a client that has not served anything for twice the timeout while leases
/// fail is replaced by a fresh one (at most once per timeout), on the same store object.
final class PostgresConnector: Sendable {
    let configuration: PostgresStoreConfiguration
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var client: PostgresClient
        var runner: Task<Void, Never>
        var lastSuccess: ContinuousClock.Instant
        var lastRecycle: ContinuousClock.Instant
        var closed = false
    }

    /// Why a lease body was not run or did not finish.
    enum Failure: Error {
        /// No connection until the deadline (or the pool refused at once): nothing was sent.
        case noConnection(String)
        /// The body's query never ended, even after its connection was closed.
        case hung
    }

    init(_ configuration: PostgresStoreConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let now = ContinuousClock.now
        let (client, runner) = Self.start(configuration, logger: logger)
        state = Mutex(State(client: client, runner: runner, lastSuccess: now, lastRecycle: now))
    }

    /// Why a connection cannot be made, in the server's words (a wrong password, an
    /// unknown database, TLS refused…): one direct connection attempt, made only after the
    /// pool found no connection in time (the pool retries quietly and reports only the
    /// timeout). Nil when the connection succeeds or the reason is unknown.
    static func diagnose(_ c: PostgresStoreConfiguration, logger: Logger) async -> String? {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch c.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            return "TLS: \(error)"
        }
        var config = PostgresConnection.Configuration(host: c.host, port: c.port, username: c.username, password: c.password,
                                                      database: c.database, tls: tls)
        config.options.connectTimeout = .milliseconds(Int64(c.timeoutMilliseconds))
        do {
            let conn = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: config, id: 0, logger: logger).get()
            try? await conn.close()
            return nil
        } catch let e as PSQLError {
            if let message = e.serverInfo?[.message] {
                return message + (e.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            return "\(e.code)"
        } catch {
            return "\(error)"
        }
    }

    private static func start(_ c: PostgresStoreConfiguration, logger: Logger) -> (PostgresClient, Task<Void, Never>) {
        let tls: PostgresClient.Configuration.TLS
        switch c.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var config = PostgresClient.Configuration(host: c.host, port: c.port, username: c.username, password: c.password,
                                                  database: c.database, tls: tls)
        config.options.connectTimeout = c.timeout
        config.options.maximumConnections = max(2, c.maximumConnections)
        config.options.minimumConnections = 0
        config.options.additionalStartupParameters = c.startupParameters
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        let runner = Task { await client.run() }
        return (client, runner)
    }

    /// Runs `body` on a leased connection.
    ///
    /// - Throws: ``Failure/noConnection(_:)`` when no connection came by `deadline`
    ///   (nothing was sent); ``Failure/hung`` when the body did not end a second after
    ///   the watchdog closed its connection (a query PostgresNIO never completed: it is
    ///   abandoned, and the pool replaced); otherwise what `body` threw (a connection
    ///   closed by the watchdog fails the body's pending query).
    func lease<T: Sendable>(until deadline: ContinuousClock.Instant, grace: Duration,
                            _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = state.withLock { $0.client }
        let gate = LeaseGate()
        let work = Task { () async throws -> T in
            try await client.withConnection { (conn: PostgresConnection) async throws -> T in
                let go = gate.state.withLock { g -> Bool in
                    guard case .waiting = g else { return false }
                    g = .started(conn)
                    return true
                }
                guard go else { throw Failure.noConnection("no connection to PostgreSQL within the time") }
                defer { gate.state.withLock { $0 = .finished } }
                return try await body(conn)
            }
        }
        // Answered once: by the work, or — should a query never return even after its
        // connection was closed — by the watchdog's hard stop, a second after that.
        let answer = Answer<T>()
        let watchdog = Task {
            try? await Task.sleep(until: deadline)
            if Task.isCancelled { return }
            let abandoned = gate.state.withLock { g -> Bool in
                guard case .waiting = g else { return false }
                g = .abandoned
                return true
            }
            if abandoned {
                self.logger.debug("lease abandoned at its deadline")
                work.cancel()
                return
            }
            try? await Task.sleep(until: deadline + grace)
            if Task.isCancelled { return }
            guard case .started(let conn) = gate.state.withLock({ $0 }) else { return }
            // The body outlived its bound: break the connection so its query fails now.
            self.logger.debug("closing a connection busy past its bound")
            conn.close().whenComplete { _ in }
            try? await Task.sleep(until: deadline + grace + .seconds(1))
            if Task.isCancelled { return }
            self.logger.warning("a PostgreSQL query did not end after its connection was closed; abandoning it and replacing the pool")
            self.recycle(force: true)
            answer.resume(.failure(Failure.hung))
        }
        let result: Result<T, any Error> = await withCheckedContinuation { cont in
            answer.set(cont)
            Task {
                let r: Result<T, any Error>
                do { r = .success(try await work.value) } catch { r = .failure(error) }
                watchdog.cancel()
                answer.resume(r)
            }
        }
        do {
            let value = try result.get()
            state.withLock { $0.lastSuccess = .now }
            return value
        } catch {
            let phase = gate.state.withLock { $0 }
            switch phase {
            case .started, .finished: throw error
            case .waiting, .abandoned: break
            }
            recycle(force: false)
            let server = "\(configuration.host):\(configuration.port)"
            if case .abandoned = phase {
                throw Failure.noConnection("no connection to PostgreSQL at \(server) within \(configuration.timeoutMilliseconds) ms")
            }
            if case Failure.noConnection = error { throw error }
            throw Failure.noConnection("cannot connect to PostgreSQL at \(server): \(Self.describe(error))")
        }
    }

    /// A continuation resumed once, by whichever comes first.
    private final class Answer<T: Sendable>: Sendable {
        private let state = Mutex<(cont: CheckedContinuation<Result<T, any Error>, Never>?, early: Result<T, any Error>?, done: Bool)>((nil, nil, false))

        func set(_ cont: CheckedContinuation<Result<T, any Error>, Never>) {
            let early = state.withLock { s -> Result<T, any Error>? in
                if let e = s.early { return e }
                s.cont = cont
                return nil
            }
            if let early { cont.resume(returning: early) }
        }

        func resume(_ r: Result<T, any Error>) {
            let cont = state.withLock { s -> CheckedContinuation<Result<T, any Error>, Never>? in
                guard !s.done else { return nil }
                s.done = true
                guard let c = s.cont else {
                    s.early = r
                    return nil
                }
                s.cont = nil
                return c
            }
            cont?.resume(returning: r)
        }
    }

    /// Who got there first: the connection (`started`), or the deadline (`abandoned`).
    private final class LeaseGate: Sendable {
        enum Phase {
            case waiting
            case started(PostgresConnection)
            case abandoned
            case finished
        }

        let state = Mutex(Phase.waiting)
    }

    /// Replaces the client when leases fail and nothing has succeeded for a while, so that
    /// reconnection does not wait for the old pool's backoff or circuit breaker; `force`:
    /// also when something succeeded (a connection is held by a query that never ended).
    private func recycle(force: Bool) {
        let now = ContinuousClock.now
        let old = state.withLock { s -> Task<Void, Never>? in
            guard !s.closed, force || s.lastSuccess.duration(to: now) > configuration.timeout * 2,
                  s.lastRecycle.duration(to: now) > configuration.timeout else { return nil }
            let old = s.runner
            (s.client, s.runner) = Self.start(configuration, logger: logger)
            s.lastRecycle = now
            return old
        }
        if let old {
            logger.info("replacing the PostgreSQL connection pool after failed connection attempts")
            old.cancel()
        }
    }

    /// Stops the pool; leases after this fail.
    func close() {
        let runner = state.withLock { s -> Task<Void, Never> in
            s.closed = true
            return s.runner
        }
        runner.cancel()
    }

    /// A message for a PostgresNIO error: the server's SQLSTATE and message where there is
    /// one (PSQLError's own description hides them).
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let info = e.serverInfo {
                return "\(info[.sqlState] ?? "?"): \(info[.message] ?? "server error")"
            }
            if let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        return "\(error)"
    }

    /// Whether an error is the server's answer to a statement (the connection is fine, the
    /// statement failed), as opposed to a lost connection.
    static func isServerError(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .server
    }

    /// The SQLSTATE of a server error.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
