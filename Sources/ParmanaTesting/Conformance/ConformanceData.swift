import Foundation
import ParmanaCore
import ParmanaRuntime

/// Signed test data for the conformance suites: executions, overrides, expiries.
/// Timestamps are explicit; nothing sleeps.
public enum ConformanceData {
    public static let fixture = Fixture()
    public static let t0 = Timestamp("2026-11-23T12:00:00.000Z")!

    /// An execution id made from `n`.
    public static func id(_ n: Int) -> String { String(format: "00000000-0000-4000-8000-%012x", n) }

    /// The signals of execution `n` (unique per `n` unless given).
    public static func signals(_ n: Int) -> JSONValue { ["payment_id": .string("pay-\(n)"), "amount": .number(Double(n))] }

    /// A commit of a signed attestation; with `approvals`/`expiresAt`, a v2 one.
    public static func commit(_ n: Int, requiresOverride: Bool = false, signals: JSONValue? = nil, id: String? = nil,
                              approvals: Int? = nil, expiresAt: Timestamp? = nil, policyID: String = "payments.release",
                              retain: Bool = false, idempotencyKey: String? = nil) -> ExecutionCommit {
        let s = signals ?? Self.signals(n)
        let execID = id ?? Self.id(n)
        var p = fixture.attestationPayload(signals: s, requiresOverride: requiresOverride, executionID: execID)
        if requiresOverride, approvals != nil || expiresAt != nil {
            p.decision.override = OverrideRequirement(approvals: approvals ?? 1, expiresAt: expiresAt)
        }
        p.policy.policyID = policyID
        let env = fixture.attestation(p)
        let fp = Hashing.fingerprint(s)
        return ExecutionCommit(
            executionID: execID, fingerprint: fp, attestationBytes: env.bytes, state: requiresOverride ? .pendingOverride : .completed,
            policyID: policyID, expiresAt: p.decision.override?.expiresAt, at: t0, retainedSignals: retain ? CanonicalJSON.bytes(s) : nil,
            idempotency: idempotencyKey.map {
                IdempotencyRecord(key: $0, requestHash: Runtime.requestHash(policyID: policyID, version: nil, fingerprint: fp, explain: false),
                                  executionID: execID)
            })
    }

    /// The envelope of a commit's attestation.
    public static func attestation(_ c: ExecutionCommit) -> Envelope {
        try! Envelope(json: try! JSONParser().parse(c.attestationBytes))
    }

    /// An accepted override of `c` as a resolution commit.
    public static func override(_ c: ExecutionCommit, resolution: Action = .approve, basedOn: Int = 0,
                                newState: ExecutionState = .overrideApproved, approver: SigningKey? = nil,
                                approverID: String = "alice@example.com") -> ResolutionCommit {
        let env = fixture.override(of: attestation(c), resolution: resolution, key: approver, approverID: approverID)
        return ResolutionCommit(executionID: c.executionID, kind: .override, recordBytes: env.bytes, basedOnResolutions: basedOn,
                                newState: newState, at: t0, dropRetainedSignals: newState != .pendingOverride)
    }

    /// The runtime's expiry of `c` as a resolution commit.
    public static func expiry(_ c: ExecutionCommit, at: Timestamp, basedOn: Int = 0) -> ResolutionCommit {
        let p = ExpiryPayload(executionID: c.executionID, attestationHash: c.attestationHash, expiredAt: at, keyID: fixture.attestationKey.keyID)
        let env = Envelope.sign(p.json, with: fixture.attestationKey)
        return ResolutionCommit(executionID: c.executionID, kind: .overrideExpired, recordBytes: env.bytes, basedOnResolutions: basedOn,
                                newState: .overrideExpired, at: at, dropRetainedSignals: true)
    }

    /// Verifies a store's whole log and its projection with Core's verifier.
    public static func verify(_ store: any EvidenceStore, trust: TrustStore = fixture.trust) async throws -> AuditLogVerifier.Report {
        var v = AuditLogVerifier(trust: trust, rebuildProjection: true)
        v.begin(logID: "test", checkpoints: try await store.checkpoints())
        v.verify(try await store.allEntries())
        var report = v.end()
        if report.valid {
            report.problems += v.projection.compare(try await store.projectionRows())
            report.problems += v.projection.compare(treeHashes: try await store.treeHashes(Array(v.projection.treeNodes.keys)))
            report.valid = report.problems.isEmpty
        }
        return report
    }
}
