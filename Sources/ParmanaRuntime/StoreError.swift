import ParmanaCore

/// Why a store could not do what was asked (SPEC §7.3, §17.4). Every back end throws
/// only this; ``ParmanaError/init(_:)`` maps it to SPEC §13, once, for every edge.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unreachable, closed, refused, or a write definitely failed (rolled back).
    case unavailable(String)
    /// No answer within `store_timeout_ms`: the outcome of a write is unknown.
    case timeout(String)
    /// The connection was lost after a write was sent: its outcome is unknown.
    case outcomeUnknown(String)
    /// Stored data could not be decoded.
    case corrupt(String)

    /// Whether a write may have taken effect even though it failed (a replay claim
    /// is then left in doubt, never released).
    public var outcomeIsUnknown: Bool {
        switch self {
        case .timeout, .outcomeUnknown: true
        case .unavailable, .corrupt: false
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let m): "unavailable: \(m)"
        case .timeout(let m): "timed out: \(m)"
        case .outcomeUnknown(let m): "outcome unknown: \(m)"
        case .corrupt(let m): "corrupt: \(m)"
        }
    }
}

extension ParmanaError {
    /// The one mapping of store failures to SPEC §13: `store_unavailable` (503, fail
    /// closed: no attestation).
    public init(_ e: StoreError) {
        switch e {
        case .unavailable(let m): self.init(.storeUnavailable, "the store is unavailable: \(m)")
        case .timeout(let m): self.init(.storeUnavailable, "the store did not answer in time: \(m)")
        case .outcomeUnknown(let m): self.init(.storeUnavailable, "the store connection was lost: \(m)")
        case .corrupt(let m): self.init(.storeUnavailable, "the store holds data it cannot read: \(m)")
        }
    }
}

/// A signer that could not sign (SPEC §7.3): no attestation; `signer_unavailable`.
public struct SignerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ParmanaError {
    public init(_ e: SignerError) { self.init(.signerUnavailable, "the signer failed: \(e.message)") }
}
