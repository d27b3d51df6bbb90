import Foundation
import ParmanaCore
import ParmanaRuntime
import Testing

/// The conformance suite of the ``ReplayStore`` port (SPEC §17.1, §18): one atomic
/// insert-if-absent per fingerprint whose value is the claim token; release only with
/// the same token; in-flight and in-doubt lists per node; idempotency keys bound with a
/// claim atomically, completed on settle, unbound on release. Run by memory and Redis.
/// Every check makes its own store, so a shared server needs a fresh key space per
/// `make` (e.g. a key prefix).
public struct ReplayStoreConformance: Sendable {
    public var make: @Sendable () async throws -> any ReplayStore

    public init(make: @escaping @Sendable () async throws -> any ReplayStore) { self.make = make }

    static func fp(_ n: Int) -> String { Hashing.sha256Hex(Array("fingerprint \(n) \(UUID().uuidString)".utf8)) }

    public func runAll() async throws {
        try await claimsOnceWithToken()
        try await concurrentClaimsHaveOneWinner()
        try await releaseOnlyOwnToken()
        try await inFlightAndInDoubt()
        try await idempotencyKeysAreBoundWithTheClaim()
        try await concurrentKeysHaveOneWinner()
    }

    public func claimsOnceWithToken() async throws {
        let store = try await make()
        let fp = Self.fp(1)
        let a = ReplayClaim(fingerprint: fp, nodeID: "node-a", executionID: ConformanceData.id(1))
        #expect(try await store.consume(a) == .consumed)
        let b = ReplayClaim(fingerprint: fp, nodeID: "node-b", executionID: ConformanceData.id(2))
        #expect(try await store.consume(b) == .replay(executionID: a.executionID, nodeID: "node-a"))
        #expect(try await store.claim(of: fp) == a)
        #expect(try await store.claim(of: Self.fp(2)) == nil)
        await store.close()
    }

    public func concurrentClaimsHaveOneWinner() async throws {
        let store = try await make()
        let fp = Self.fp(3)
        let outcomes = try await withThrowingTaskGroup(of: (ReplayClaim, ReplayOutcome).self) { g in
            for i in 0..<64 {
                g.addTask {
                    let c = ReplayClaim(fingerprint: fp, nodeID: "node-\(i % 3)", executionID: ConformanceData.id(100 + i))
                    return (c, try await store.consume(c))
                }
            }
            var all: [(ReplayClaim, ReplayOutcome)] = []
            for try await o in g { all.append(o) }
            return all
        }
        let winners = outcomes.filter { $0.1 == .consumed }
        #expect(winners.count == 1)
        let w = winners[0].0
        #expect(outcomes.filter { $0.1 == .replay(executionID: w.executionID, nodeID: w.nodeID) }.count == 63)
        await store.close()
    }

    public func releaseOnlyOwnToken() async throws {
        let store = try await make()
        let fp = Self.fp(4)
        let mine = ReplayClaim(fingerprint: fp, nodeID: "node-a", executionID: ConformanceData.id(4))
        let theirs = ReplayClaim(fingerprint: fp, nodeID: "node-b", executionID: ConformanceData.id(5))
        _ = try await store.consume(mine)
        try await store.release(theirs)
        #expect(try await store.claim(of: fp) == mine, "another token must not release a claim")
        try await store.release(mine)
        #expect(try await store.claim(of: fp) == nil)
        #expect(try await store.consume(theirs) == .consumed)
        await store.close()
    }

    public func inFlightAndInDoubt() async throws {
        let store = try await make()
        let node = "node-\(UUID().uuidString.prefix(8).lowercased())"
        let a = ReplayClaim(fingerprint: Self.fp(6), nodeID: node, executionID: ConformanceData.id(6))
        let b = ReplayClaim(fingerprint: Self.fp(7), nodeID: node, executionID: ConformanceData.id(7))
        let c = ReplayClaim(fingerprint: Self.fp(8), nodeID: node, executionID: ConformanceData.id(8))
        for x in [a, b, c] { _ = try await store.consume(x) }
        #expect(try await store.inDoubt(node: node, includeInFlight: false).isEmpty)
        #expect(Set(try await store.inDoubt(node: node, includeInFlight: true)) == [a, b, c])
        try await store.settle(a)
        try await store.markInDoubt(b)
        #expect(try await store.inDoubt(node: node, includeInFlight: false) == [b])
        #expect(Set(try await store.inDoubt(node: node, includeInFlight: true)) == [b, c])
        #expect(try await store.claim(of: a.fingerprint) == a, "settling keeps the claim")
        try await store.release(b)
        #expect(try await store.claim(of: b.fingerprint) == nil)
        #expect(Set(try await store.inDoubt(node: node, includeInFlight: true)) == [c])
        // Many at once, in flight or in doubt, of two nodes; the claims stay.
        let other = node + "-2"
        let many = (0..<40).map { ReplayClaim(fingerprint: Self.fp(200 + $0), nodeID: $0 % 2 == 0 ? node : other, executionID: ConformanceData.id(200 + $0)) }
        for x in many { _ = try await store.consume(x) }
        for x in many.prefix(10) { try await store.markInDoubt(x) }
        try await store.settle(Array(many.dropLast()) + [c])
        #expect(try await store.inDoubt(node: node, includeInFlight: true).isEmpty)
        #expect(try await store.inDoubt(node: other, includeInFlight: true) == [many[39]])
        for x in many { #expect(try await store.claim(of: x.fingerprint) == x, "settling keeps the claim") }
        try await store.settle([])
        await store.close()
    }

    static func record(_ key: String, _ claim: ReplayClaim) -> IdempotencyRecord {
        IdempotencyRecord(key: key, requestHash: Hashing.sha256Hex(Array("request \(key)".utf8)), executionID: claim.executionID)
    }

    public func idempotencyKeysAreBoundWithTheClaim() async throws {
        let store = try await make()
        let key = "order-\(UUID().uuidString)"
        let a = ReplayClaim(fingerprint: Self.fp(9), nodeID: "node-a", executionID: ConformanceData.id(9))
        #expect(try await store.idempotency(key) == nil)
        #expect(try await store.consume(a, idempotency: Self.record(key, a)) == .consumed)
        let inProgress = IdempotencyRecord(key: key, requestHash: Self.record(key, a).requestHash, executionID: a.executionID,
                                           inProgress: true, nodeID: "node-a")
        #expect(try await store.idempotency(key) == inProgress)
        // The same key with other signals, on another node: the binding, and nothing claimed.
        let b = ReplayClaim(fingerprint: Self.fp(10), nodeID: "node-b", executionID: ConformanceData.id(10))
        #expect(try await store.consume(b, idempotency: Self.record(key, b)) == .idempotencyKeyBound(inProgress))
        #expect(try await store.claim(of: b.fingerprint) == nil)
        // The same signals with another key: a replay, and the other key stays unbound.
        let other = "order-\(UUID().uuidString)"
        let c = ReplayClaim(fingerprint: a.fingerprint, nodeID: "node-b", executionID: ConformanceData.id(11))
        #expect(try await store.consume(c, idempotency: Self.record(other, c)) == .replay(executionID: a.executionID, nodeID: "node-a"))
        #expect(try await store.idempotency(other) == nil)
        // Settled with the attestation: done, and it carries the attestation's bytes.
        let attestation = Array(#"{"payload":{},"signature":"AA=="}"#.utf8)
        try await store.settle(a, attestation: attestation)
        let done = IdempotencyRecord(key: key, requestHash: inProgress.requestHash, executionID: a.executionID, attestation: attestation,
                                     nodeID: "node-a")
        #expect(try await store.idempotency(key) == done)
        #expect(try await store.consume(b, idempotency: Self.record(key, b)) == .idempotencyKeyBound(done))
        // Released: the claim and its key are gone; a retry may claim both again.
        let d = ReplayClaim(fingerprint: Self.fp(12), nodeID: "node-a", executionID: ConformanceData.id(12))
        let third = "order-\(UUID().uuidString)"
        _ = try await store.consume(d, idempotency: Self.record(third, d))
        try await store.markInDoubt(d)
        try await store.release(d)
        #expect(try await store.claim(of: d.fingerprint) == nil)
        #expect(try await store.idempotency(third) == nil)
        #expect(try await store.inDoubt(node: "node-a", includeInFlight: true).allSatisfy { $0 != d })
        await store.close()
    }

    public func concurrentKeysHaveOneWinner() async throws {
        let store = try await make()
        let key = "order-\(UUID().uuidString)"
        let outcomes = try await withThrowingTaskGroup(of: (ReplayClaim, ReplayOutcome).self) { g in
            for i in 0..<64 {
                g.addTask {
                    let c = ReplayClaim(fingerprint: Self.fp(200 + i), nodeID: "node-\(i % 2)", executionID: ConformanceData.id(200 + i))
                    return (c, try await store.consume(c, idempotency: Self.record(key, c)))
                }
            }
            var all: [(ReplayClaim, ReplayOutcome)] = []
            for try await o in g { all.append(o) }
            return all
        }
        let winners = outcomes.filter { $0.1 == .consumed }.map(\.0)
        #expect(winners.count == 1)
        for (c, o) in outcomes where c != winners.first {
            guard case .idempotencyKeyBound(let r) = o else {
                Issue.record("expected the key's binding, got \(o)")
                continue
            }
            #expect(r.executionID == winners.first?.executionID && r.inProgress)
            #expect(try await store.claim(of: c.fingerprint) == nil)
        }
        await store.close()
    }
}
