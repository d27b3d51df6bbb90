import ParmanaCore

/// A configured bearer token: only its SHA-256 is kept, with its roles.
public struct APIToken: Sendable {
    public var name: String
    public let sha256: [UInt8]
    public var roles: Set<APIRole>

    /// `sha256Hex` is 64 lowercase hex digits; unknown roles are `invalid_config`.
    public init(name: String, sha256Hex: String, roles: [String]) throws(ParmanaError) {
        guard sha256Hex.utf8.count == 64, let bytes = Hex.decode(sha256Hex) else {
            throw ParmanaError(.invalidConfig, "token \(name): sha256 must be 64 hex digits")
        }
        var set = Set<APIRole>()
        for r in roles {
            guard let role = APIRole(rawValue: r) else {
                throw ParmanaError(.invalidConfig, "token \(name): unknown role '\(r)' (use \(APIRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            set.insert(role)
        }
        guard !set.isEmpty else { throw ParmanaError(.invalidConfig, "token \(name) has no roles") }
        self.name = name
        sha256 = bytes
        self.roles = set
    }

    /// Whether this token may act in `role`.
    public func grants(_ role: APIRole) -> Bool { roles.contains(.admin) || roles.contains(role) }
}
