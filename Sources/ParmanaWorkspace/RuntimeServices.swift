import Logging
import ParmanaCore
import ParmanaRuntime
import ServiceLifecycle
import Synchronization

/// Owns a store's lifecycle in the composition root: it runs until the service group
/// shuts down gracefully, then flushes and closes the store. Listed first in a group,
/// it is stopped last, after every service that uses the store.
public struct StoreService: Service {
    public let store: any EvidenceStore
    public let logger: Logger

    public init(store: any EvidenceStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await store.close()
        logger.info("the evidence store is flushed and closed")
    }
}

/// Signs checkpoints on the schedule of SPEC §16.2: at start-up when the log is ahead of
/// its newest checkpoint, then at most `interval` after the log grows. A failed tick is
/// logged and retried at the next one; it never stops the server.
public struct CheckpointerService: Service {
    public let runtime: Runtime
    public let interval: Duration
    public let logger: Logger

    public init(runtime: Runtime, interval: Duration, logger: Logger) {
        self.runtime = runtime
        self.interval = interval
        self.logger = logger
    }

    func tick() async {
        do {
            if let cp = try await runtime.checkpointIfBehind(), let p = try? CheckpointPayload(json: cp.payload) {
                logger.debug("checkpoint signed", metadata: ["size": "\(p.size)"])
            }
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    public func run() async throws {
        await tick()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = runtime.config.clock.now()
            runtime.setNextCheckpointDue(Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64(interval.components.seconds) * 1000))
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await tick()
        }
        // A last checkpoint, so the log's final entries are covered when the node stops.
        await tick()
    }
}

/// Appends the signed expiry of every pending execution whose `expires_at` has passed
/// (SPEC §19.2), once per `interval`. Time comes from the runtime's clock.
public struct ExpirySweeperService: Service {
    public let runtime: Runtime
    public let interval: Duration
    public let logger: Logger

    public init(runtime: Runtime, interval: Duration = .seconds(1), logger: Logger) {
        self.runtime = runtime
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let expired = try await runtime.expireDue()
                if !expired.isEmpty { logger.info("executions expired unresolved", metadata: ["count": "\(expired.count)"]) }
            } catch {
                logger.error("expiry sweep failed: \(error)")
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
        }
    }
}

/// Topology A: resolves this node's in-doubt and in-flight claims from its own log while
/// it runs (SPEC §17.1), so that a claim left behind by a Redis timeout or stall (in
/// doubt, or still listed in flight when marking it in doubt failed too) stops blocking a
/// retry of the same signals without a restart. A claim is resolved only once it has been
/// listed for a whole `interval` (default 60 s, far beyond `store_timeout_ms`: a write
/// whose outcome was unknown has long ended by then), and never while this process is
/// deciding it (``SplitEvidenceStore/reconcile(_:)``). A failed round
/// is logged and retried at the next.
public final class ReplayReconcilerService: Service {
    public let store: SplitEvidenceStore
    public let interval: Duration
    public let logger: Logger
    /// The claims listed (in doubt or in flight) at the previous round.
    private let seen = Mutex<Set<ReplayClaim>>([])

    public init(store: SplitEvidenceStore, interval: Duration = .seconds(60), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// One round: resolves the claims that were listed (in doubt or in flight) at the
    /// previous round and still are, and remembers the ones listed now. Returns what it did.
    @discardableResult
    public func tick() async -> SplitEvidenceStore.Reconciliation {
        do {
            let now = Set(try await store.replay.inDoubt(node: store.nodeID, includeInFlight: true))
            let due = now.intersection(seen.withLock { $0 })
            let done = due.isEmpty ? SplitEvidenceStore.Reconciliation() : try await store.reconcile(due)
            seen.withLock { $0 = now.subtracting(due) }
            if !done.kept.isEmpty || !done.released.isEmpty {
                logger.info("replay claims left in doubt or in flight reconciled from this node's log",
                            metadata: ["kept": "\(done.kept.count)", "released": "\(done.released.count)"])
            }
            return done
        } catch {
            logger.warning("replay reconciliation failed; retried in \(interval): \(error)")
            return SplitEvidenceStore.Reconciliation()
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                break
            }
            await tick()
        }
    }
}
