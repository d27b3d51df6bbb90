import Hummingbird
import Logging
import NIOCore
import ParmanaCore
import ServiceLifecycle
import Synchronization

/// The HTTP server for a ``GovernanceAPI``: Hummingbird on HTTP/1.1 in a service group
/// with the services that own the runtime's lifecycle (the composition root passes them:
/// the store, the checkpointer, the expiry sweeper). On SIGTERM/SIGINT the server stops
/// first (in-flight requests finish), then those services, the store last.
public struct GovernanceServer: Sendable {
    public let api: GovernanceAPI
    public let host: String
    public let port: Int
    public let logger: Logger

    public init(api: GovernanceAPI, host: String, port: Int, logger: Logger) {
        self.api = api
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Parses `HOST:PORT` (`[::1]:8080` for IPv6).
    public static func parseListen(_ s: String) throws(ParmanaError) -> (host: String, port: Int) {
        guard let colon = s.lastIndex(of: ":") else {
            throw ParmanaError(.invalidConfig, "listen address '\(s)' must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw ParmanaError(.invalidConfig, "listen address '\(s)' must be HOST:PORT with a port in 0...65535")
        }
        return (host, port)
    }

    /// The Hummingbird application; `onRunning` receives the bound address.
    public func application(onRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }) -> some ApplicationProtocol {
        // Idle keep-alive connections close after twice the request timeout (at least 60 s),
        // so a slow body is answered 408 before its connection is dropped, even when the
        // server is busy.
        let seconds = Int64(api.settings.requestTimeout.components.seconds)
        return Application(
            router: api.router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(max(60, 2 * seconds)))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "parmana"),
            onServerRunning: { channel in await onRunning(channel.localAddress) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (or `control.shutdown()`), lets in-flight
    /// requests finish, then stops `services` in reverse order.
    public func run(services: [any Service], control: ServerControl? = nil,
                    onRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services + [application(onRunning: onRunning)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        control?.attach(group)
        try await group.run()
        logger.info("stopped")
    }
}

/// Stops a running ``GovernanceServer`` from inside the process, as SIGTERM would.
public final class ServerControl: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    public init() {}

    func attach(_ g: ServiceGroup) { group.withLock { $0 = g } }

    /// Starts a graceful shutdown: no new connections, in-flight requests finish.
    public func shutdown() async {
        if let g = group.withLock({ $0 }) { await g.triggerGracefulShutdown() }
    }
}
