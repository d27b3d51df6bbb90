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

/// Topology A: resolves this node's in-doubt claims from its own log while it runs (SPEC
/// §17.1), as `parmana replay reconcile` does, so that a claim left in doubt by a Redis
/// timeout stops blocking a retry of the same signals without a restart. A claim is
/// resolved only once it has been in doubt for a whole `interval` (default 60 s, far
/// beyond `store_timeout_ms`): a write whose outcome was unknown has long ended by then.
/// In-flight claims are left alone (the node is deciding). A failed round is logged and
/// retried at the next.
public final class ReplayReconcilerService: Service {
    public let store: SplitEvidenceStore
    public let interval: Duration
    public let logger: Logger
    /// The in-doubt claims seen by the previous round.
    private let seen = Mutex<Set<ReplayClaim>>([])

    public init(store: SplitEvidenceStore, interval: Duration = .seconds(60), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// One round: resolves the claims that were in doubt at the previous round and still
    /// are, and remembers the ones in doubt now. Returns what it did.
    @discardableResult
    public func tick() async -> SplitEvidenceStore.Reconciliation {
        do {
            let now = Set(try await store.replay.inDoubt(node: store.nodeID, includeInFlight: false))
            let due = now.intersection(seen.withLock { $0 })
            let done = due.isEmpty ? SplitEvidenceStore.Reconciliation() : try await store.reconcile(includeInFlight: false, only: due)
            seen.withLock { $0 = now.subtracting(due) }
            if !done.kept.isEmpty || !done.released.isEmpty {
                logger.info("in-doubt replay claims reconciled from this node's log",
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
