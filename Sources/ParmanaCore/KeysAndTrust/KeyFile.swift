/// The private key file format (`parmana.private-key/v1`), documented in `docs/formats.md` ("Keys"):
///
/// ```json
/// {"type": "parmana.private-key/v1", "algorithm": "Ed25519", "key_id": "<32 hex>",
///  "roles": ["attestation"], "approver_id": "alice@example.com",
///  "public_key": "<base64 32 bytes>", "private_key": "<base64 32-byte seed>"}
/// ```
/// `approver_id` is present only for approver keys. Files are written with mode 0600.
public enum KeyFile {
    /// Decodes a private key file; checks that key id, public key and seed agree.
    public static func decode(_ bytes: [UInt8]) throws(ParmanaError) -> SigningKey {
        let json: JSONValue
        do { json = try JSONParser().parse(bytes) } catch {
            throw ParmanaError(.invalidKey, "key file is not valid JSON (\(error.code.rawValue))")
        }
        do throws(ParmanaError) {
            var r = try FieldReader(json, code: .invalidKey)
            _ = try r.oneOf("type", [PayloadType.privateKey])
            _ = try r.oneOf("algorithm", ["Ed25519"])
            let id = try r.keyID()
            var roles: [Role] = []
            for v in try r.array("roles") {
                guard let s = v.stringValue, let role = Role(rawValue: s) else { throw r.error("roles", "unknown role") }
                roles.append(role)
            }
            let approver = try r.optionalString("approver_id")
            let pub = try Base64.decode(try r.string("public_key"))
            let seed = try Base64.decode(try r.string("private_key"))
            try r.finish()
            let key = try SigningKey(seed: seed, roles: roles, approverID: approver)
            guard key.publicKey.rawRepresentation == pub, key.keyID == id else {
                throw ParmanaError(.invalidKey, "key file's public key or key id does not match its private key")
            }
            return key
        } catch {
            throw ParmanaError(.invalidKey, error.message, details: error.details)
        }
    }

    /// Encodes a private key file (pretty, newline-terminated).
    public static func encode(_ key: SigningKey) -> [UInt8] {
        var o = JSONObject([
            ("type", .string(PayloadType.privateKey)), ("algorithm", "Ed25519"), ("key_id", .string(key.keyID)),
            ("roles", .array(key.roles.map { .string($0.rawValue) })),
        ])
        if let a = key.approverID { o["approver_id"] = .string(a) }
        o["public_key"] = .string(key.publicKey.base64)
        o["private_key"] = .string(Base64.encode(key.seed))
        return PrettyJSON.bytes(.object(o))
    }
}
