import ParmanaCore
import Synchronization

/// An in-memory ``ReplayStore`` with the claim-token semantics of SPEC §17.1 and the
/// shared idempotency keys of SPEC §18: the reference semantics of the port (the Redis
/// adapter runs the same conformance suite).
public final class MemoryReplayStore: ReplayStore {
    struct State {
        var claims: [String: String] = [:]
        var inFlight: [String: Set<ReplayClaim>] = [:]
        var inDoubt: [String: Set<ReplayClaim>] = [:]
        var keys: [String: IdempotencyRecord] = [:]
        /// The idempotency key bound with each claimed fingerprint, until settled.
        var claimKeys: [String: String] = [:]
        var failing = false
    }

    private let state = Mutex(State())
    public init() {}

    /// Makes every call fail (tests).
    public func setFailing(_ on: Bool) { state.withLock { $0.failing = on } }

    private func locked<T>(_ body: (inout State) -> T) throws(StoreError) -> T {
        try state.withLock { (s) throws(StoreError) -> T in
            if s.failing { throw StoreError.unavailable("the memory replay store is set to fail") }
            return body(&s)
        }
    }

    public func consume(_ claim: ReplayClaim, idempotency: IdempotencyRecord?) async throws(StoreError) -> ReplayOutcome {
        try locked { s in
            if let key = idempotency?.key, let existing = s.keys[key] { return .idempotencyKeyBound(existing) }
            if let token = s.claims[claim.fingerprint], let existing = ReplayClaim(fingerprint: claim.fingerprint, token: token) {
                return .replay(executionID: existing.executionID, nodeID: existing.nodeID)
            }
            s.claims[claim.fingerprint] = claim.token
            s.inFlight[claim.nodeID, default: []].insert(claim)
            if let i = idempotency {
                s.keys[i.key] = IdempotencyRecord(key: i.key, requestHash: i.requestHash, executionID: claim.executionID,
                                                  inProgress: true, nodeID: claim.nodeID)
                s.claimKeys[claim.fingerprint] = i.key
            }
            return .consumed
        }
    }

    public func release(_ claim: ReplayClaim) async throws(StoreError) {
        try locked { s in
            if s.claims[claim.fingerprint] == claim.token {
                s.claims[claim.fingerprint] = nil
                if let key = s.claimKeys.removeValue(forKey: claim.fingerprint), s.keys[key]?.executionID == claim.executionID {
                    s.keys[key] = nil
                }
            }
            s.inFlight[claim.nodeID]?.remove(claim)
            s.inDoubt[claim.nodeID]?.remove(claim)
        }
    }

    public func settle(_ claim: ReplayClaim, attestation: [UInt8]?) async throws(StoreError) {
        try locked { s in
            s.inFlight[claim.nodeID]?.remove(claim)
            s.inDoubt[claim.nodeID]?.remove(claim)
            if let attestation, let key = s.claimKeys[claim.fingerprint], var r = s.keys[key], r.executionID == claim.executionID {
                r.inProgress = false
                r.attestation = attestation
                s.keys[key] = r
                s.claimKeys[claim.fingerprint] = nil
            }
        }
    }

    public func settle(_ claims: [ReplayClaim]) async throws(StoreError) {
        try locked { s in
            for claim in claims {
                s.inFlight[claim.nodeID]?.remove(claim)
                s.inDoubt[claim.nodeID]?.remove(claim)
            }
        }
    }

    public func markInDoubt(_ claim: ReplayClaim) async throws(StoreError) {
        try locked { s in
            s.inFlight[claim.nodeID]?.remove(claim)
            s.inDoubt[claim.nodeID, default: []].insert(claim)
        }
    }

    public func inDoubt(node: String, includeInFlight: Bool) async throws(StoreError) -> [ReplayClaim] {
        try locked { s in
            var out = s.inDoubt[node] ?? []
            if includeInFlight { out.formUnion(s.inFlight[node] ?? []) }
            return out.sorted { $0.fingerprint < $1.fingerprint }
        }
    }

    public func claim(of fingerprint: String) async throws(StoreError) -> ReplayClaim? {
        try locked { s in s.claims[fingerprint].flatMap { ReplayClaim(fingerprint: fingerprint, token: $0) } }
    }

    public func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? {
        try locked { s in s.keys[key] }
    }

    public func isHealthy() async -> Bool { state.withLock { !$0.failing } }
    public func close() async {}
}
