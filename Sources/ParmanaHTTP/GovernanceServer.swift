import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
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
    /// TLS, when configured (`tls_cert`, `tls_key`); nil is plain HTTP.
    public let tls: TLSConfiguration?
    /// Open connections at once; past it new connections wait to be accepted.
    public let maxConnections: Int

    public init(api: GovernanceAPI, host: String, port: Int, logger: Logger, tls: TLSConfiguration? = nil, maxConnections: Int = 1024) {
        self.api = api
        self.host = host
        self.port = port
        self.logger = logger
        self.tls = tls
        self.maxConnections = maxConnections
    }

    /// Whether `host` is a loopback address (plain HTTP is allowed there without
    /// `allow_plaintext`).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
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
    public func application(onRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        // Idle keep-alive connections close after twice the request timeout (at least 60 s),
        // so a slow body is answered 408 before its connection is dropped, even when the
        // server is busy.
        let seconds = Int64(api.settings.requestTimeout.components.seconds)
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(Int64(max(60, 2 * seconds)))))
        let server = try tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1
        return Application(
            router: api.router(),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "parmana",
                                                    availableConnectionsDelegate: MaximumAvailableConnections(maxConnections, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (or `control.shutdown()`), lets in-flight
    /// requests finish, then stops `services` in reverse order.
    public func run(services: [any Service], control: ServerControl? = nil,
                    onRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services + [try application(onRunning: onRunning)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
