import Crypto

/// An Ed25519 private key held in memory, with the roles it was issued for.
public struct SigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey
    public let publicKey: PublicKey
    public let roles: [Role]
    /// Set for approver keys: the identity the trust store binds to this key.
    public let approverID: String?

    /// A fresh random key.
    public init(roles: [Role], approverID: String? = nil) {
        let k = Curve25519.Signing.PrivateKey()
        self.init(key: k, roles: roles, approverID: approverID)
    }

    /// A key from its 32-byte seed (RFC 8032 private key).
    public init(seed: [UInt8], roles: [Role], approverID: String? = nil) throws(ParmanaError) {
        guard seed.count == 32 else { throw ParmanaError(.invalidKey, "an Ed25519 private key is 32 bytes, got \(seed.count)") }
        let k: Curve25519.Signing.PrivateKey
        do { k = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch {
            throw ParmanaError(.invalidKey, "not an Ed25519 private key")
        }
        self.init(key: k, roles: roles, approverID: approverID)
    }

    private init(key: Curve25519.Signing.PrivateKey, roles: [Role], approverID: String?) {
        self.key = key
        // The raw public key is always 32 bytes, so this cannot fail.
        self.publicKey = try! PublicKey(raw: Array(key.publicKey.rawRepresentation))
        self.roles = roles
        self.approverID = approverID
    }

    public var keyID: String { publicKey.keyID }

    /// The 32-byte seed. Handle with care.
    public var seed: [UInt8] { Array(key.rawRepresentation) }

    /// Ed25519 signature of `message` (deterministic, RFC 8032).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        // Signing with a valid key over in-memory bytes does not fail.
        Array(try! key.signature(for: message))
    }
}
