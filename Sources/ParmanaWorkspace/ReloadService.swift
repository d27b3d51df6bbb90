import Logging
import ServiceLifecycle
import UnixSignals

/// Runs `reload` on every SIGHUP until the service group shuts down: a running server
/// picks up `parmana token add|revoke` (and other reloadable settings) without a restart.
/// A failed reload is logged and the previous settings stay in force.
public struct ReloadService: Service {
    public let logger: Logger
    public let reload: @Sendable () async throws -> String

    /// `reload` returns a one-line summary for the log.
    public init(logger: Logger, reload: @escaping @Sendable () async throws -> String) {
        self.logger = logger
        self.reload = reload
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try? await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    let summary = try await reload()
                    logger.notice("SIGHUP: reloaded \(summary)")
                } catch {
                    logger.error("SIGHUP: reload failed, the previous settings stay in force: \(error)")
                }
            }
        }
    }
}
