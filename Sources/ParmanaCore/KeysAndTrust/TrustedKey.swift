/// One trust-store key entry (SPEC §10), which is also what `keygen` writes to `F.pub.json`.
public struct TrustedKey: Sendable {
    public var publicKey: PublicKey
    public var roles: [Role]
    public var validFrom: Timestamp
    /// End of the validity window, exclusive; nil means open.
    public var validUntil: Timestamp?
    public var label: String?
    public var approverID: String?

    public init(publicKey: PublicKey, roles: [Role], validFrom: Timestamp, validUntil: Timestamp? = nil,
                label: String? = nil, approverID: String? = nil) {
        self.publicKey = publicKey
        self.roles = roles
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.label = label
        self.approverID = approverID
    }

    public var keyID: String { publicKey.keyID }

    /// Whether `time` lies in `[valid_from, valid_until)`.
    public func isValid(at time: Timestamp) -> Bool {
        time >= validFrom && (validUntil.map { time < $0 } ?? true)
    }

    public init(json: JSONValue, pointer: String) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: pointer)
        let id = try r.keyID()
        publicKey = try PublicKey(base64: try r.string("public_key"))
        guard publicKey.keyID == id else { throw r.error("key_id", "does not match sha256 of the public key") }
        var rs: [Role] = []
        for (n, v) in try r.array("roles").enumerated() {
            guard let s = v.stringValue, let role = Role(rawValue: s) else {
                throw ParmanaError(.malformedPayload, "\(r.path("roles"))/\(n): unknown role", details: [.init(pointer: "\(r.path("roles"))/\(n)", message: "unknown role")])
            }
            rs.append(role)
        }
        guard !rs.isEmpty else { throw r.error("roles", "at least one role is required") }
        roles = rs
        validFrom = try r.timestamp("valid_from")
        _ = try r.required("valid_until")
        validUntil = try r.optionalTimestamp("valid_until")
        label = try r.optionalString("label")
        approverID = try r.optionalString("approver_id")
        try r.finish()
        if roles.contains(.approver), approverID == nil {
            throw r.error("approver_id", "an approver key needs an approver_id")
        }
    }

    public var json: JSONValue {
        var o = JSONObject([
            ("key_id", .string(keyID)), ("public_key", .string(publicKey.base64)),
            ("roles", .array(roles.map { .string($0.rawValue) })),
            ("valid_from", .string(validFrom.description)),
            ("valid_until", validUntil.map { .string($0.description) } ?? .null),
        ])
        if let label { o["label"] = .string(label) }
        if let approverID { o["approver_id"] = .string(approverID) }
        return .object(o)
    }
}
