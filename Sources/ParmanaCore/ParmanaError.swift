/// A stable error code (SPEC §13). The raw value is the wire form.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable, Codable {
    // §1 canonical JSON
    case invalidJSON = "invalid_json"
    case duplicateKey = "duplicate_key"
    case invalidString = "invalid_string"
    case numberOutOfRange = "number_out_of_range"
    case tooDeep = "too_deep"
    case tooLarge = "too_large"
    // §2 keys and envelopes
    case invalidEncoding = "invalid_encoding"
    case malformedPayload = "malformed_payload"
    case invalidSignature = "invalid_signature"
    case untrustedKey = "untrusted_key"
    case invalidKey = "invalid_key"
    case insecureKeyFile = "insecure_key_file"
    // §4 policies and signals
    case invalidPolicy = "invalid_policy"
    case invalidSignals = "invalid_signals"
    case undeclaredSignal = "undeclared_signal"
    case policyVersionConflict = "policy_version_conflict"
    case policyNotFound = "policy_not_found"
    case unsignedPolicy = "unsigned_policy"
    // §7 / §8 runtime
    case replayDetected = "replay_detected"
    case storeUnavailable = "store_unavailable"
    case executionNotFound = "execution_not_found"
    case notPending = "not_pending"
    case attestationMismatch = "attestation_mismatch"
    case overrideAlreadyResolved = "override_already_resolved"
    /// v1.1: the override came at or after `expires_at`, or the execution expired (§19.2).
    case overrideExpired = "override_expired"
    /// The runtime's signing key (or HSM) could not sign: no attestation (503).
    case signerUnavailable = "signer_unavailable"
    // v1.1 §16 – §18
    case projectionMismatch = "projection_mismatch"
    case notYetCheckpointed = "not_yet_checkpointed"
    case idempotencyKeyReused = "idempotency_key_reused"
    case requestInProgress = "request_in_progress"
    /// Too many decisions in flight: try again after `Retry-After` (503).
    case overloaded = "overloaded"
    // §11 / §12
    case auditChainBroken = "audit_chain_broken"
    case invalidProof = "invalid_proof"
    case fingerprintMismatch = "fingerprint_mismatch"
    case policyMismatch = "policy_mismatch"
    case decisionMismatch = "decision_mismatch"
    case unknownRuntime = "unknown_runtime"
    // edges
    case invalidRequest = "invalid_request"
    case unauthorized = "unauthorized"
    case forbidden = "forbidden"
    case notFound = "not_found"
    case io = "io_error"
    case invalidConfig = "invalid_config"
    case invalidYAML = "invalid_yaml"
    case requestTimeout = "request_timeout"
    case internalError = "internal_error"
}

/// A typed error with a stable code, a one-line message and optional details
/// (usually JSON pointers to the offending values). Messages are for people;
/// programs and tests read `code`.
public struct ParmanaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One offending location: a JSON pointer and what is wrong there.
    public struct Detail: Sendable, Hashable {
        public var pointer: String
        public var message: String
        public init(pointer: String, message: String) {
            self.pointer = pointer
            self.message = message
        }
    }

    public var code: ErrorCode
    public var message: String
    public var details: [Detail]
    /// For `replay_detected`: the execution that consumed the fingerprint.
    public var executionID: String?

    public init(_ code: ErrorCode, _ message: String, details: [Detail] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The §13 wire form `{"error": {"code", "message", "details"}}`.
    public var json: JSONValue {
        var error: [(String, JSONValue)] = [
            ("code", .string(code.rawValue)),
            ("message", .string(message)),
        ]
        if let executionID { error.append(("execution_id", .string(executionID))) }
        if !details.isEmpty {
            error.append(("details", .array(details.map {
                .object(JSONObject([("pointer", .string($0.pointer)), ("message", .string($0.message))]))
            })))
        }
        return .object(JSONObject([("error", .object(JSONObject(error)))]))
    }
}
