import Foundation
import Synchronization

/// Source of execution ids: lowercase UUID v4, new for every execution.
public protocol ExecutionIDs: Sendable {
    func next() -> String
}

/// Random UUID v4s.
public struct RandomExecutionIDs: ExecutionIDs {
    public init() {}
    public func next() -> String { UUID().uuidString.lowercased() }
}

/// Deterministic UUID v4-shaped ids for tests.
public final class SequentialExecutionIDs: ExecutionIDs {
    private let counter = Mutex(0)
    public init() {}
    public func next() -> String {
        let n = counter.withLock { c -> Int in
            c += 1
            return c
        }
        let hex = String(n, radix: 16)
        let tail = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return "00000000-0000-4000-8000-\(tail)"
    }
}
