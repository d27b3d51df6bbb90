import Crypto

/// An Ed25519 public key with its SPEC §2.2 key id.
public struct PublicKey: Sendable {
    /// The raw 32-byte key.
    public let rawRepresentation: [UInt8]
    /// First 32 hex characters of sha256(raw key).
    public let keyID: String
    let key: Curve25519.Signing.PublicKey

    /// A key from its raw 32 bytes; throws `invalid_key` for the wrong length.
    public init(raw: [UInt8]) throws(ParmanaError) {
        guard raw.count == 32 else { throw ParmanaError(.invalidKey, "an Ed25519 public key is 32 bytes, got \(raw.count)") }
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw ParmanaError(.invalidKey, "not an Ed25519 public key")
        }
        rawRepresentation = raw
        keyID = PublicKey.keyID(raw: raw)
    }

    /// A key from strict base64.
    public init(base64: String) throws(ParmanaError) {
        try self.init(raw: try Base64.decode(base64))
    }

    /// Standard base64 of the raw key.
    public var base64: String { Base64.encode(rawRepresentation) }

    /// SPEC §2.2: the first 32 hex characters of sha256(raw public key).
    public static func keyID(raw: [UInt8]) -> String {
        String(Hashing.sha256Hex(raw).prefix(32))
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` under this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
