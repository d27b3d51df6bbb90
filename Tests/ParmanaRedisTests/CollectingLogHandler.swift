import Logging
import Synchronization

/// Collects log lines (level, message) for assertions.
final class CollectingLogHandler: LogHandler, Sendable {
    let lines = Mutex<[(Logger.Level, String)]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        lines.withLock { $0.append((level, message.description + " " + (metadata.map { "\($0)" } ?? ""))) }
    }
}
