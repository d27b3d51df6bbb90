import HTTPTypes
import ParmanaCore

/// The HTTP status of each error code (SPEC §13), mapped only here, at the edge.
enum ErrorStatus {
    static func of(_ code: ErrorCode) -> HTTPResponse.Status {
        switch code {
        case .unauthorized: return .unauthorized
        case .forbidden: return .forbidden
        case .policyNotFound, .executionNotFound, .notFound: return .notFound
        case .replayDetected, .overrideAlreadyResolved, .policyVersionConflict, .notPending, .attestationMismatch,
             .overrideExpired, .notYetCheckpointed, .requestInProgress:
            return .conflict
        case .idempotencyKeyReused: return .unprocessableContent
        case .tooLarge: return .contentTooLarge
        case .invalidSignals, .undeclaredSignal: return .unprocessableContent
        case .storeUnavailable, .signerUnavailable, .overloaded: return .serviceUnavailable
        case .requestTimeout: return .requestTimeout
        // A store that serves something its own log contradicts: the server's fault.
        case .internalError, .io, .invalidConfig, .projectionMismatch: return .internalServerError
        case .invalidJSON, .duplicateKey, .invalidString, .numberOutOfRange, .tooDeep, .invalidEncoding,
             .malformedPayload, .invalidSignature, .untrustedKey, .invalidKey, .insecureKeyFile, .invalidPolicy,
             .unsignedPolicy, .auditChainBroken, .invalidProof, .fingerprintMismatch, .policyMismatch,
             .decisionMismatch, .unknownRuntime, .invalidRequest, .invalidYAML:
            return .badRequest
        }
    }
}
