import Foundation
import ParmanaCore
import Synchronization

/// Where the runtime gets the time. Injected so tests pass explicit timestamps.
public protocol Clock: Sendable {
    func now() -> Timestamp
}

/// The system's real-time clock.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}

/// A clock that only moves when told to (tests).
public final class ManualClock: Clock {
    private let time: Mutex<Timestamp>
    public init(_ start: Timestamp) { time = Mutex(start) }
    public func now() -> Timestamp { time.withLock { $0 } }
    public func set(_ t: Timestamp) { time.withLock { $0 = t } }
    public func advance(milliseconds: Int64) { time.withLock { $0.millisecondsSinceEpoch += milliseconds } }
}
