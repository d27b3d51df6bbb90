import Synchronization

/// Deadlines for many short waits, checked by one ticking task instead of one sleeping
/// task per wait.
///
/// Every request body is read against `request_timeout_seconds` (default 30 s). With a
/// `Task.sleep` per request, a cancelled sleep keeps its timer (about 750 bytes) until
/// its deadline, so the server's memory grew with the request rate × the timeout
/// (~150 MiB at 6,000 decisions/s; BENCHMARKS.md, "Resident memory"). Here a cancelled
/// wait is removed at once, and a finished one costs nothing afterwards.
final class DeadlineWheel: Sendable {
    /// The wheel every body read uses; it ticks every 100 ms while anyone waits.
    static let shared = DeadlineWheel(tick: .milliseconds(100))

    private struct Waiter {
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var ticking = false
    }

    /// How often deadlines are checked: a wait ends at most this late.
    let tick: Duration
    private let state = Mutex(State())

    init(tick: Duration) {
        self.tick = tick
    }

    /// Waits until `deadline` (true) or until the calling task is cancelled (false, at once).
    func wait(until deadline: ContinuousClock.Instant) async -> Bool {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let startTicking = state.withLock { s in
                    s.waiters[id] = Waiter(deadline: deadline, continuation: continuation)
                    if s.ticking { return false }
                    s.ticking = true
                    return true
                }
                if startTicking { Task.detached { await self.run() } }
                // Cancelled before the waiter was registered: the handler found nothing to end.
                if Task.isCancelled { end(id, timedOut: false) }
            }
        } onCancel: {
            end(id, timedOut: false)
        }
    }

    /// Resumes a waiter once: whoever removes it under the lock resumes it.
    private func end(_ id: UInt64, timedOut: Bool) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: timedOut)
    }

    private func run() async {
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let due: [Waiter]? = state.withLock { s in
                if s.waiters.isEmpty {
                    s.ticking = false
                    return nil
                }
                let ids = s.waiters.filter { $0.value.deadline <= now }.map(\.key)
                return ids.compactMap { s.waiters.removeValue(forKey: $0) }
            }
            guard let due else { return }
            for w in due { w.continuation.resume(returning: true) }
        }
    }
}
