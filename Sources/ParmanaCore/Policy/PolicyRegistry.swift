/// A loaded policy: compiled form plus the signed envelope it came from (if any).
public struct LoadedPolicy: Sendable {
    public let compiled: CompiledPolicy
    public let envelope: Envelope?
    public var policy: Policy { compiled.policy }

    /// Verifies and compiles a policy given either as a signed envelope or a bare
    /// document. With `requireSigned`, a bare document is `unsigned_policy`; an
    /// envelope must verify under a trusted `policy` key (valid at `time`, if given).
    public init(json: JSONValue, trust: TrustStore?, requireSigned: Bool, at time: Timestamp? = nil) throws(ParmanaError) {
        let isEnvelope = json["payload"] != nil && json["signature"] != nil
        if isEnvelope {
            let env = try Envelope(json: json)
            guard env.type == PayloadType.policy else {
                throw ParmanaError(.malformedPayload, "/payload/type: expected \(PayloadType.policy), found \(env.type)")
            }
            guard let trust else { throw ParmanaError(.untrustedKey, "no trust store to verify the policy signature with") }
            if let e = trust.trustError(keyID: env.keyID, type: PayloadType.policy, at: time) { throw e }
            guard trust.signatureVerifies(env) else {
                throw ParmanaError(.invalidSignature, "the policy signature does not verify")
            }
            compiled = CompiledPolicy(try Policy(json: env.payload))
            envelope = env
        } else {
            if requireSigned {
                throw ParmanaError(.unsignedPolicy, "signed policies are required; sign it with 'parmana policy sign --key KEY --out FILE'")
            }
            compiled = CompiledPolicy(try Policy(json: json))
            envelope = nil
        }
    }

    /// Signs a policy document with a `policy` key: the payload is the document plus `key_id`.
    public static func sign(_ policy: Policy, with key: SigningKey) -> Envelope {
        guard case .object(var o) = policy.document else { preconditionFailure("a policy document is an object") }
        o["key_id"] = .string(key.keyID)
        return Envelope.sign(.object(o), with: key)
    }
}

/// The set of loaded policies. `(policy_id, version)` is immutable: loading different
/// content under the same pair is `policy_version_conflict`.
public struct PolicyRegistry: Sendable {
    private var byID: [String: [LoadedPolicy]] = [:]

    public init() {}

    /// Adds a policy; loading identical content again is a no-op.
    public mutating func add(_ p: LoadedPolicy) throws(ParmanaError) {
        var list = byID[p.policy.policyID] ?? []
        if let existing = list.first(where: { $0.policy.version == p.policy.version && $0.policy.version.text == p.policy.version.text }) {
            guard existing.policy.hash == p.policy.hash else {
                throw ParmanaError(.policyVersionConflict,
                    "policy \(p.policy.policyID) version \(p.policy.version) is already loaded with different content (hash \(existing.policy.hash))")
            }
            return
        }
        if list.contains(where: { $0.policy.version == p.policy.version }) {
            throw ParmanaError(.policyVersionConflict, "policy \(p.policy.policyID) already has a version equal in precedence to \(p.policy.version)")
        }
        list.append(p)
        list.sort { $0.policy.version < $1.policy.version }
        byID[p.policy.policyID] = list
    }

    /// The pinned version, or the highest by semver precedence.
    public func lookup(_ policyID: String, version: String? = nil) throws(ParmanaError) -> LoadedPolicy {
        guard let list = byID[policyID], let latest = list.last else {
            throw ParmanaError(.policyNotFound, "no policy \(policyID) is loaded")
        }
        guard let version else { return latest }
        guard let hit = list.first(where: { $0.policy.version.text == version }) else {
            throw ParmanaError(.policyNotFound, "policy \(policyID) has no version \(version)")
        }
        return hit
    }

    /// Every loaded policy, by id then version.
    public var all: [LoadedPolicy] { byID.keys.sorted().flatMap { byID[$0]! } }
}
