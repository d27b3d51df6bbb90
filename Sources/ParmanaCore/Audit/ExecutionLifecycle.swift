/// The state of one execution as its audit entries tell it (SPEC §7.4, §8, §19.2): the
/// one state machine used by the runtime to accept an override, by `audit verify` to
/// check the log, and to rebuild what a store serves beside the log (§16.3).
///
/// - `completed`: final at once. `pending_override` until resolved.
/// - An accepted `approve` adds its approver; K distinct approvers make it
///   `override_approved`. An accepted `reject` makes it `override_rejected` at once.
/// - An expiry (after `expires_at`, quorum unmet) makes it `override_expired`.
/// - Each accepted resolution is its own audit entry; the attestation never changes.
public struct ExecutionLifecycle: Sendable, Equatable {
    public var executionID: String
    public var fingerprint: String
    /// The execution entry's seq.
    public var seq: Int
    public var attestationHash: String
    public var policyID: String
    public var policyVersion: String
    public var issuedAt: Timestamp
    /// What resolving it takes; nil when no override is required.
    public var requirement: OverrideRequirement?
    public var state: ExecutionState
    /// Distinct approvers whose `approve` was accepted, in order.
    public var approvers: [String]
    /// Seqs of the accepted override and expiry entries, in order.
    public var resolutionSeqs: [Int]

    /// The lifecycle of a freshly logged attestation.
    public init(_ a: AttestationPayload, attestationHash: String, seq: Int) {
        executionID = a.executionID
        fingerprint = a.executionFingerprint
        self.seq = seq
        self.attestationHash = attestationHash
        policyID = a.policy.policyID
        policyVersion = a.policy.version
        issuedAt = a.issuedAt
        requirement = a.decision.overrideRequirement
        state = a.executionState
        approvers = []
        resolutionSeqs = []
    }

    /// The refusal an override meets (SPEC §8, §19.2), checked before its authority:
    /// `not_pending`, `override_already_resolved`, `override_expired`,
    /// `attestation_mismatch`. Nil when it may be accepted.
    public func refusal(_ o: OverridePayload) -> ParmanaError? {
        switch state {
        case .completed:
            return ParmanaError(.notPending, "execution \(executionID) does not require an override")
        case .overrideExpired:
            return ParmanaError(.overrideExpired, "execution \(executionID) expired unresolved")
        case .overrideApproved, .overrideRejected:
            return ParmanaError(.overrideAlreadyResolved, "execution \(executionID) was already resolved (\(state.rawValue))")
        case .pendingOverride:
            break
        }
        guard o.attestationHash == attestationHash else {
            return ParmanaError(.attestationMismatch, "the override names attestation \(o.attestationHash), not \(attestationHash)")
        }
        if let t = requirement?.expiresAt, o.resolvedAt >= t {
            return ParmanaError(.overrideExpired, "the override was resolved at \(o.resolvedAt), at or after the execution expired at \(t)")
        }
        if approvers.contains(where: { $0.utf8.elementsEqual(o.approverID.utf8) }) {
            return ParmanaError(.overrideAlreadyResolved, "\(o.approverID) already approved execution \(executionID); a quorum needs distinct approvers")
        }
        return nil
    }

    /// The lifecycle after accepting `o` (which passed ``refusal(_:)`` and its authority).
    public func accepting(_ o: OverridePayload, seq: Int) -> ExecutionLifecycle {
        var next = self
        next.resolutionSeqs.append(seq)
        switch o.resolution {
        case .reject:
            next.state = .overrideRejected
        case .approve:
            next.approvers.append(o.approverID)
            if next.approvers.count >= (requirement?.approvals ?? 1) { next.state = .overrideApproved }
        }
        return next
    }

    /// Whether an expiry may be recorded at `time`: pending, with an `expires_at` at or
    /// before `time`.
    public func isExpired(at time: Timestamp) -> Bool {
        guard state == .pendingOverride, let t = requirement?.expiresAt else { return false }
        return t <= time
    }

    /// The refusal an expiry record meets, or nil.
    public func refusal(_ e: ExpiryPayload) -> ParmanaError? {
        guard e.attestationHash == attestationHash else {
            return ParmanaError(.attestationMismatch, "the expiry names attestation \(e.attestationHash), not \(attestationHash)")
        }
        guard state == .pendingOverride else {
            return ParmanaError(.notPending, "execution \(executionID) is \(state.rawValue), not pending")
        }
        guard let t = requirement?.expiresAt, t <= e.expiredAt else {
            return ParmanaError(.notPending, "execution \(executionID) does not expire at \(e.expiredAt)")
        }
        return nil
    }

    /// The lifecycle after its expiry entry.
    public func expiring(seq: Int) -> ExecutionLifecycle {
        var next = self
        next.resolutionSeqs.append(seq)
        next.state = .overrideExpired
        return next
    }

    /// "k of K approvals" and who gave them, for approvers (SPEC §19.4).
    public var quorumJSON: JSONValue {
        guard let requirement else { return .null }
        return [
            "required": .number(Double(requirement.approvals)), "approvals": .number(Double(approvers.count)),
            "approvers": .array(approvers.map { .string($0) }),
            "expires_at": requirement.expiresAt.map { .string($0.description) } ?? .null,
        ]
    }
}
