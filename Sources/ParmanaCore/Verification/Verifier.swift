/// The offline verifier (SPEC §12). Needs only a trust store. It returns a report and
/// never throws for an invalid artifact; partial lineage is never reported valid.
public struct Verifier: Sendable {
    public var trust: TrustStore
    public var parser: JSONParser

    public init(trust: TrustStore, parser: JSONParser = JSONParser()) {
        self.trust = trust
        self.parser = parser
    }

    /// What to verify. Each artifact is raw bytes, exactly as received.
    public struct Input: Sendable {
        public var attestation: [UInt8]
        /// Override envelopes of this execution (several for a quorum, SPEC §19.3).
        public var overrides: [[UInt8]]
        public var signals: [UInt8]?
        public var policy: [UInt8]?
        public var proof: [UInt8]?
        public var requireKnownRuntime: Bool

        public init(attestation: [UInt8], override: [UInt8]? = nil, overrides: [[UInt8]] = [], signals: [UInt8]? = nil,
                    policy: [UInt8]? = nil, proof: [UInt8]? = nil, requireKnownRuntime: Bool = false) {
            self.attestation = attestation
            self.overrides = (override.map { [$0] } ?? []) + overrides
            self.signals = signals
            self.policy = policy
            self.proof = proof
            self.requireKnownRuntime = requireKnownRuntime
        }
    }

    /// Verifies an attestation and whatever lineage is given.
    public func verify(_ input: Input) -> VerificationReport {
        var checks = VerificationReport.Checks()
        var errors: [VerificationReport.Problem] = []
        func problem(_ e: ParmanaError) { errors.append(.init(code: e.code, message: e.message)) }

        // 1. Shape.
        let envelope: Envelope
        let payload: AttestationPayload
        do {
            envelope = try Envelope(json: try parser.parse(input.attestation))
            guard PayloadType.attestationList.contains(envelope.type) else {
                throw ParmanaError(.malformedPayload, "/payload/type: expected \(PayloadType.attestation) or \(PayloadType.attestationV2), found \(envelope.type)")
            }
            payload = try AttestationPayload(json: envelope.payload)
            checks.payloadWellFormed = true
        } catch let e as ParmanaError {
            checks.payloadWellFormed = false
            problem(e)
            return VerificationReport(valid: false, authorized: false, checks: checks, errors: errors)
        } catch {
            fatalError("unreachable: only ParmanaError is thrown")
        }

        // 2. Key and signature.
        if let e = trust.trustError(keyID: payload.keyID, type: payload.type, at: payload.issuedAt) {
            checks.keyTrusted = false
            problem(e)
        } else {
            checks.keyTrusted = true
        }
        if let key = trust.key(payload.keyID) {
            let ok = key.publicKey.isValidSignature(envelope.signature, for: envelope.signedBytes)
            checks.signatureValid = ok
            if !ok { problem(ParmanaError(.invalidSignature, "the attestation signature does not verify")) }
        } else {
            // Without a trusted key nothing can be said of the signature: fail closed.
            checks.signatureValid = false
            problem(ParmanaError(.invalidSignature, "no trusted key to verify the signature with"))
        }

        // 3. Runtime provenance.
        let known = trust.isKnownRuntime(payload.runtimeHash)
        checks.runtimeVerified = known
        if !known && input.requireKnownRuntime {
            problem(ParmanaError(.unknownRuntime, "runtime \(payload.runtimeHash) is not registered in the trust store"))
        }

        // 4. Signals.
        var signals: JSONValue?
        if let signalBytes = input.signals {
            do {
                let parsed = try parser.parse(signalBytes)
                signals = parsed
                let fp = Hashing.fingerprint(parsed)
                checks.fingerprintMatches = fp == payload.executionFingerprint
                if fp != payload.executionFingerprint {
                    problem(ParmanaError(.fingerprintMismatch, "the signals' fingerprint \(fp) is not the attested one"))
                }
            } catch {
                checks.fingerprintMatches = false
                problem(error)
            }
        }

        // 5. Policy: same content, and the decision reproduces exactly.
        if let policyBytes = input.policy {
            do {
                let loaded = try LoadedPolicy(json: try parser.parse(policyBytes), trust: trust, requireSigned: false)
                let p = loaded.policy
                let matches = p.hash == payload.policy.hash && p.policyID == payload.policy.policyID && p.version.text == payload.policy.version
                checks.policyMatches = matches
                if !matches {
                    problem(ParmanaError(.policyMismatch, "the policy given is \(p.policyID) \(p.version.text) (\(p.hash)), not the one attested"))
                }
                if let signals, checks.fingerprintMatches == true {
                    do {
                        let d = loaded.compiled.attested(try loaded.compiled.evaluate(signals), issuedAt: payload.issuedAt)
                        checks.decisionReproduced = d == payload.decision
                        if d != payload.decision {
                            problem(ParmanaError(.decisionMismatch, "re-evaluation gives \(d.action.rawValue) by \(d.ruleID), not the attested decision"))
                        }
                    } catch {
                        checks.decisionReproduced = false
                        problem(error)
                    }
                }
            } catch {
                checks.policyMatches = false
                problem(error)
            }
        }

        // 6. Audit inclusion.
        if let proofBytes = input.proof {
            do {
                let proof = try InclusionProof(json: try parser.parse(proofBytes))
                if let e = proof.check(recordHash: envelope.hash, trust: trust) {
                    checks.auditIncluded = false
                    problem(e)
                } else {
                    checks.auditIncluded = true
                }
            } catch {
                checks.auditIncluded = false
                problem(error)
            }
        }

        // 7. Overrides: each must be authentic; those resolved in time count toward the quorum.
        var approvers: [String] = []
        var rejected = false
        let requirement = payload.decision.overrideRequirement
        if !input.overrides.isEmpty {
            var allValid = true
            for bytes in input.overrides {
                let result = verifyOverride(bytes, for: envelope, payload: payload)
                guard let o = result.override else {
                    allValid = false
                    if let e = result.error { problem(e) }
                    continue
                }
                if let t = requirement?.expiresAt, o.resolvedAt >= t {
                    problem(ParmanaError(.overrideExpired, "the override by \(o.approverID) was resolved at \(o.resolvedAt), not before expires_at \(t): it does not count"))
                    continue
                }
                switch o.resolution {
                case .reject: rejected = true
                case .approve:
                    if approvers.contains(where: { $0.utf8.elementsEqual(o.approverID.utf8) }) {
                        problem(ParmanaError(.overrideAlreadyResolved, "\(o.approverID) approved more than once: a quorum counts distinct approvers"))
                    } else {
                        approvers.append(o.approverID)
                    }
                }
            }
            checks.overrideValid = allValid
        }

        var valid = checks.payloadWellFormed == true && checks.keyTrusted == true && checks.signatureValid == true
        if input.requireKnownRuntime && !known { valid = false }
        for c in [checks.fingerprintMatches, checks.policyMatches, checks.decisionReproduced,
                  checks.overrideValid, checks.auditIncluded] where c == false {
            valid = false
        }
        let authorized: Bool
        if !valid {
            authorized = false
        } else if let requirement {
            // SPEC §8, §19.3: K approvals from distinct approvers before T, and no reject.
            authorized = !rejected && approvers.count >= requirement.approvals
        } else {
            authorized = payload.decision.action == .approve
        }
        return VerificationReport(valid: valid, authorized: authorized, checks: checks, errors: errors)
    }

    /// Checks an override envelope against its attestation (SPEC §8): well-formed, for
    /// this execution and attestation, by a trusted approver key valid at `resolved_at`,
    /// signature valid. Returns the payload when authentic, or the first refusal.
    public func verifyOverride(_ bytes: [UInt8], for attestation: Envelope, payload: AttestationPayload)
        -> (override: OverridePayload?, error: ParmanaError?)
    {
        let envelope: Envelope
        let o: OverridePayload
        do {
            (envelope, o) = try OverridePayload.envelope(try parser.parse(bytes))
        } catch {
            return (nil, error)
        }
        guard o.executionID == payload.executionID else {
            return (nil, ParmanaError(.attestationMismatch, "the override is for execution \(o.executionID)"))
        }
        guard o.attestationHash == attestation.hash else {
            return (nil, ParmanaError(.attestationMismatch, "the override names another attestation"))
        }
        guard payload.decision.requiresOverride else {
            return (nil, ParmanaError(.notPending, "the attestation does not require an override"))
        }
        if let e = o.authorityError(envelope, trust: trust) { return (nil, e) }
        return (o, nil)
    }
}
