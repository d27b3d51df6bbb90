import Logging
import ParmanaCore
import ParmanaRuntime
import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL, as the SQLite store does it: callers queue their writes,
/// one writer drains the queue into batches, and a batch is one transaction
/// (`BEGIN`, the log lock, the chain head read, every write, `COMMIT`). Every caller
/// resumes only after that `COMMIT` returned: durable (`synchronous_commit = on`).
///
/// Every write is bounded by `store_timeout_ms` from its submission:
/// - still queued, or in a transaction whose `COMMIT` was not sent → ``StoreError/unavailable(_:)``
///   (definite: before sending `COMMIT`, a batch with an expired write rolls back, and
///   runs again without it);
/// - `COMMIT` sent, no answer yet → ``StoreError/timeout(_:)`` (outcome unknown);
/// - the connection lost during `COMMIT` → ``StoreError/outcomeUnknown(_:)``;
/// - a statement failed → the transaction is rolled back, every write of the batch gets
///   ``StoreError/unavailable(_:)``.
final class PostgresGroupCommit: Sendable {
    enum Work: Sendable {
        case execution(ExecutionCommit)
        case resolution(ResolutionCommit)
        case event(AuditKind, [UInt8], Timestamp)
        case checkpoint(Envelope)
    }

    enum Outcome: Sendable {
        case execution(ExecutionCommitOutcome)
        case resolution(ResolutionCommitOutcome)
        case seq(Int)
        case done
    }

    typealias Completion = @Sendable (Result<Outcome, StoreError>) -> Void

    private enum Phase {
        case queued, claimed, inTransaction, committing
    }

    private struct Job {
        var work: Work
        var deadline: ContinuousClock.Instant
        var phase: Phase
        var complete: Completion
    }

    private struct State {
        var queue: [Int] = []
        var jobs: [Int: Job] = [:]
        var nextID = 0
        var running = false
        var timing = false
        var closed = false
        var transactions = 0
        var committedJobs = 0
    }

    private let state = Mutex(State())
    private let connector: PostgresConnector
    private let logger: Logger
    /// Largest number of writes in one transaction.
    let maxBatch = 512

    init(connector: PostgresConnector, logger: Logger) {
        self.connector = connector
        self.logger = logger
    }

    private var timeout: Duration { connector.configuration.timeout }
    private var timeoutMilliseconds: Int { connector.configuration.timeoutMilliseconds }

    /// Transactions run and the writes they carried.
    var stats: (transactions: Int, jobs: Int) { state.withLock { ($0.transactions, $0.committedJobs) } }

    // MARK: submitting

    func submit(_ work: Work) async throws(StoreError) -> Outcome {
        let result: Result<Outcome, StoreError> = await withCheckedContinuation { cont in
            let complete: Completion = { cont.resume(returning: $0) }
            let deadline = ContinuousClock.now + timeout
            guard let id = state.withLock({ s -> Int? in
                guard !s.closed else { return nil }
                s.nextID += 1
                return s.nextID
            }) else {
                complete(.failure(.unavailable("the PostgreSQL store is closed")))
                return
            }
            let (drain, time) = state.withLock { s -> (Bool, Bool) in
                s.jobs[id] = Job(work: work, deadline: deadline, phase: .queued, complete: complete)
                s.queue.append(id)
                defer { s.running = true; s.timing = true }
                return (!s.running, !s.timing)
            }
            if drain { Task { await self.drain() } }
            if time { Task { await self.time() } }
        }
        return try result.get()
    }

    /// One timer for every write: sleeps until the earliest deadline of the writes still
    /// unanswered, answers those whose time is up, and ends when none is left (a write's
    /// deadline is its submission + `store_timeout_ms`, so later writes never need an
    /// earlier wake-up). A sleeping task per write cost a task, a timer and a cancellation
    /// for every decision.
    private func time() async {
        while true {
            let next = state.withLock { s -> ContinuousClock.Instant? in
                guard let earliest = s.jobs.values.lazy.map(\.deadline).min() else {
                    s.timing = false
                    return nil
                }
                return earliest
            }
            guard let next else { return }
            try? await Task.sleep(until: next)
            let now = ContinuousClock.now
            let due = state.withLock { s in s.jobs.filter { $0.value.deadline <= now }.map(\.key) }
            for id in due { expire(id) }
        }
    }

    /// A write's time is up: answer it now, by the phase it is in.
    private func expire(_ id: Int) {
        let taken = state.withLock { s -> (Completion, Phase)? in
            guard let job = s.jobs.removeValue(forKey: id) else { return nil }
            if job.phase == .queued, let i = s.queue.firstIndex(of: id) { s.queue.remove(at: i) }
            return (job.complete, job.phase)
        }
        guard let (complete, phase) = taken else { return }
        switch phase {
        case .committing:
            complete(.failure(.timeout("PostgreSQL did not confirm the commit within \(timeoutMilliseconds) ms; it may or may not be durable")))
        case .queued, .claimed, .inTransaction:
            complete(.failure(.unavailable("PostgreSQL did not take the write within \(timeoutMilliseconds) ms (unreachable or overloaded); nothing was written")))
        }
    }

    private func finish(_ id: Int, _ result: Result<Outcome, StoreError>) {
        guard let job = state.withLock({ $0.jobs.removeValue(forKey: id) }) else { return }
        job.complete(result)
    }

    // MARK: the writer

    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Int] in
                let take = Array(s.queue.prefix(maxBatch))
                s.queue.removeFirst(take.count)
                for id in take { s.jobs[id]?.phase = .claimed }
                if take.isEmpty { s.running = false }
                return take
            }
            if batch.isEmpty { return }
            var remaining = batch
            while !remaining.isEmpty { remaining = await attempt(remaining) }
        }
    }

    /// One transaction for the live writes of `ids`; returns the writes to run again (when
    /// a write expired before `COMMIT`, the transaction is rolled back and the others retry).
    private func attempt(_ ids: [Int]) async -> [Int] {
        let latest = state.withLock { s in ids.compactMap { s.jobs[$0]?.deadline }.max() }
        guard let latest else { return [] }
        logger.debug("batch", metadata: ["writes": "\(ids.count)"])
        defer { logger.debug("batch done", metadata: ["writes": "\(ids.count)"]) }
        do {
            return try await connector.lease(until: latest, grace: timeout) { conn in
                try await self.transaction(ids, on: conn)
            }
        } catch {
            let e: StoreError
            switch error {
            case let s as StoreError: e = s
            case PostgresConnector.Failure.noConnection(let m): e = .unavailable(m)
            default: e = .unavailable("the PostgreSQL transaction was rolled back: \(PostgresConnector.describe(error))")
            }
            for id in ids { finish(id, .failure(e)) }
            return []
        }
    }

    private func transaction(_ ids: [Int], on conn: PostgresConnection) async throws -> [Int] {
        let live = state.withLock { s -> [(Int, Work)] in
            ids.compactMap { id in
                guard s.jobs[id] != nil else { return nil }
                s.jobs[id]?.phase = .inTransaction
                return (id, s.jobs[id]!.work)
            }
        }
        if live.isEmpty { return [] }
        var outcomes: [Outcome] = []
        do {
            try await conn.query("BEGIN", logger: logger)
            var writer = try await PostgresLogWriter.lockAndResume(conn, logger: logger)
            outcomes = try await writer.apply(all: live.map(\.1))
        } catch {
            await rollback(conn)
            throw error
        }
        // The gate: COMMIT only if every write is still awaited. A write answered meanwhile
        // (time up) was told nothing was written, so that must stay true.
        let go = state.withLock { s -> Bool in
            guard live.allSatisfy({ s.jobs[$0.0] != nil }) else { return false }
            for (id, _) in live { s.jobs[id]?.phase = .committing }
            return true
        }
        guard go else {
            await rollback(conn)
            return state.withLock { s in live.map(\.0).filter { s.jobs[$0] != nil } }
        }
        do {
            try await conn.query("COMMIT", logger: logger)
        } catch {
            let e: StoreError = PostgresConnector.isServerError(error)
                ? .unavailable("PostgreSQL refused the commit (rolled back): \(PostgresConnector.describe(error))")
                : .outcomeUnknown("the PostgreSQL connection was lost during COMMIT: \(PostgresConnector.describe(error))")
            for (id, _) in live { finish(id, .failure(e)) }
            return []
        }
        state.withLock {
            $0.transactions += 1
            $0.committedJobs += live.count
        }
        for ((id, _), outcome) in zip(live, outcomes) { finish(id, .success(outcome)) }
        return []
    }

    /// Rolls back; a connection that cannot roll back is closed, so the pool never hands
    /// out a connection inside a failed transaction.
    private func rollback(_ conn: PostgresConnection) async {
        do {
            try await conn.query("ROLLBACK", logger: logger)
        } catch {
            try? await conn.close()
        }
    }

    // MARK: closing

    /// Refuses new writes; returns when the queued ones are answered.
    func close() async {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.running || !$0.queue.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
