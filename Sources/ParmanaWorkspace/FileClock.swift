import Foundation
import ParmanaCore
import ParmanaRuntime

/// A clock for tests of a running server (`parmana serve --test-clock FILE`): the time
/// is the RFC 3339 timestamp written in FILE (re-read on every call), so a test moves a
/// live server's time forward — to make an override requirement expire — without
/// sleeping. Without the file, or with an unreadable one, it is refused at start.
public struct FileClock: Clock {
    public let path: String

    public init(path: String) throws(ParmanaError) {
        self.path = path
        guard FileClock.read(path) != nil else {
            throw ParmanaError(.invalidConfig, "--test-clock \(path) must hold a time like 2026-11-29T12:00:00.000Z")
        }
    }

    static func read(_ path: String) -> Timestamp? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Timestamp(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    public func now() -> Timestamp { FileClock.read(path) ?? Timestamp(millisecondsSinceEpoch: 0) }
}
