import Synchronization

/// Settles committed claims in the background, many per write (``ReplayStore/settle(_:)``),
/// so a decision does not wait for its claim to leave the node's in-flight list (SPEC
/// §17.1: a claim whose execution is in the log is kept whether or not it was settled).
/// One drain task runs while claims are queued; under load a write carries every claim
/// queued while the previous one was in flight. A write that fails leaves its claims in
/// flight, for reconciliation, as an awaited settle that failed does.
final class ClaimSettler: Sendable {
    private struct State {
        var queue: [ReplayClaim] = []
        var running = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let replay: any ReplayStore
    /// Most claims in one write.
    let maxBatch = 512

    init(replay: any ReplayStore) {
        self.replay = replay
    }

    /// Queues a claim whose execution is durable in the local log.
    func enqueue(_ claim: ReplayClaim) {
        let start = state.withLock { s -> Bool in
            s.queue.append(claim)
            if s.running { return false }
            s.running = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Returns once the queue is empty and no write is in flight.
    func flush() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { s -> Bool in
                if !s.running { return true }
                s.waiters.append(cont)
                return false
            }
            if idle { cont.resume() }
        }
    }

    private func drain() async {
        while true {
            let (batch, waiters) = state.withLock { s -> ([ReplayClaim], [CheckedContinuation<Void, Never>]) in
                guard !s.queue.isEmpty else {
                    s.running = false
                    defer { s.waiters = [] }
                    return ([], s.waiters)
                }
                let take = Array(s.queue.prefix(maxBatch))
                s.queue.removeFirst(take.count)
                return (take, [])
            }
            if batch.isEmpty {
                for w in waiters { w.resume() }
                return
            }
            try? await replay.settle(batch)
        }
    }
}
