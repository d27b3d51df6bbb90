import Crypto

/// An Ed25519 public key with its SPEC §2.2 key id.
public struct PublicKey: Sendable {
    /// The raw 32-byte key.
    public let rawRepresentation: [UInt8]
    /// First 32 hex characters of sha256(raw key).
    public let keyID: String
    let key: Curve25519.Signing.PublicKey

    /// A key from its raw 32 bytes (SPEC §2.5). Throws `invalid_key` for the wrong
    /// length, a non-canonical encoding, a point off the curve, or a point of small order
    /// (for which signatures can be forged without a private key).
    public init(raw: [UInt8]) throws(ParmanaError) {
        guard raw.count == 32 else { throw ParmanaError(.invalidKey, "an Ed25519 public key is 32 bytes, got \(raw.count)") }
        switch Ed25519Point.defect(of: raw) {
        case nil: break
        case .wrongLength: throw ParmanaError(.invalidKey, "an Ed25519 public key is 32 bytes, got \(raw.count)")
        case .nonCanonical: throw ParmanaError(.invalidKey, "not the canonical encoding of an Ed25519 point (RFC 8032 §5.1.3)")
        case .offCurve: throw ParmanaError(.invalidKey, "not a point on the Ed25519 curve")
        case .smallOrder:
            throw ParmanaError(.invalidKey, "a point of small order: anyone could forge signatures for this key without a private key (SPEC §2.5)")
        }
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
