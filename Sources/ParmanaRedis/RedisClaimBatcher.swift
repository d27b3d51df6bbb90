import ParmanaRuntime
import Synchronization

/// Sends concurrent claims to Redis together: callers queue their claim, and up to
/// ``maxInFlight`` drain tasks (two by default: measured ~15% more decisions/s than one
/// in topology A, BENCHMARKS.md) each send everything queued as one script call
/// (``RedisReplayScripts/consume``, then `WAIT` when replicas are named) and answer each
/// caller with its own outcome. A claim made alone is sent at once; under load a call
/// carries every claim queued while the previous ones were in flight, so Redis and the
/// node do one round trip, one script run and one `WAIT` per batch instead of per
/// decision. The claims of one batch run in their queued order inside one atomic script;
/// two claims of one fingerprint in two concurrent batches are ordered by Redis, which
/// runs one script at a time.
final class RedisClaimBatcher: Sendable {
    typealias Request = (claim: ReplayClaim, idempotency: IdempotencyRecord?)
    typealias Send = @Sendable ([Request]) async -> [Result<ReplayOutcome, StoreError>]

    private struct Pending {
        var request: Request
        var continuation: CheckedContinuation<Result<ReplayOutcome, StoreError>, Never>
    }

    private struct State {
        var queue: [Pending] = []
        var drains = 0
        var calls = 0
        var claims = 0
    }

    private let state = Mutex(State())
    /// Most claims in one script call.
    let maxBatch: Int
    /// Most script calls in flight at once (on different pooled connections).
    let maxInFlight: Int

    init(maxBatch: Int = 128, maxInFlight: Int = 2) {
        self.maxBatch = maxBatch
        self.maxInFlight = maxInFlight
    }

    /// Script calls sent and the claims they carried.
    var stats: (calls: Int, claims: Int) { state.withLock { ($0.calls, $0.claims) } }

    /// Queues a claim and returns its outcome. `send` makes one script call for a batch and
    /// returns one outcome per request, in order (the caller that starts a drain lends it).
    func consume(_ claim: ReplayClaim, idempotency: IdempotencyRecord?, send: @escaping Send) async throws(StoreError) -> ReplayOutcome {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ReplayOutcome, StoreError>, Never>) in
            let start = state.withLock { s -> Bool in
                s.queue.append(Pending(request: (claim, idempotency), continuation: continuation))
                if s.drains == maxInFlight { return false }
                s.drains += 1
                return true
            }
            if start { Task { await self.drain(send) } }
        }
        return try result.get()
    }

    private func drain(_ send: Send) async {
        while true {
            let batch = state.withLock { s -> [Pending] in
                let take = Array(s.queue.prefix(maxBatch))
                s.queue.removeFirst(take.count)
                if take.isEmpty { s.drains -= 1 } else { s.calls += 1; s.claims += take.count }
                return take
            }
            if batch.isEmpty { return }
            let outcomes = await send(batch.map(\.request))
            for (k, p) in batch.enumerated() {
                p.continuation.resume(returning: k < outcomes.count ? outcomes[k] : .failure(.corrupt("claim: no outcome for a claim of the batch")))
            }
        }
    }
}
