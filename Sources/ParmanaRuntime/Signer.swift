import ParmanaCore

/// Something that signs with a key the trust store knows. A hardware or cloud key can
/// conform; ``SigningKey`` does in memory.
public protocol Signer: Sendable {
    var keyID: String { get }
    func signature(for message: [UInt8]) async throws -> [UInt8]
}

extension SigningKey: Signer {
    public func signature(for message: [UInt8]) async throws -> [UInt8] {
        sign(message)
    }
}

extension Signer {
    /// Signs `payload` into an envelope.
    public func envelope(_ payload: JSONValue) async throws -> Envelope {
        Envelope(payload: payload, signature: try await signature(for: CanonicalJSON.bytes(payload)))
    }
}
