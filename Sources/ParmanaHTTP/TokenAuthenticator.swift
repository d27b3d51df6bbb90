import ParmanaCore

/// Checks `Authorization: Bearer <token>` against configured SHA-256 hashes in constant
/// time: every configured hash is compared in full, whatever matches.
public struct TokenAuthenticator: Sendable {
    public let tokens: [APIToken]

    public init(tokens: [APIToken]) {
        self.tokens = tokens
    }

    /// The token behind an `Authorization` header value, or `unauthorized`.
    public func authenticate(_ header: String?) throws(ParmanaError) -> APIToken {
        guard let header else {
            throw ParmanaError(.unauthorized, "missing Authorization header; send 'Authorization: Bearer <token>'")
        }
        let prefix = "bearer "
        guard header.utf8.count > prefix.utf8.count, header.lowercased().hasPrefix(prefix) else {
            throw ParmanaError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        let presented = header.dropFirst(prefix.count).trimmingSpaces
        let digest = Hashing.sha256(Array(presented.utf8))
        var found: Int?
        for (i, t) in tokens.enumerated() where TokenAuthenticator.constantTimeEqual(digest, t.sha256) {
            if found == nil { found = i }
        }
        guard let found else { throw ParmanaError(.unauthorized, "unknown token") }
        return tokens[found]
    }

    /// `authenticate`, then the role: `unauthorized` (401) or `forbidden` (403).
    public func authorize(_ header: String?, role: APIRole) throws(ParmanaError) -> APIToken {
        let token = try authenticate(header)
        guard token.grants(role) else {
            throw ParmanaError(.forbidden, "token '\(token.name)' lacks the '\(role.rawValue)' role")
        }
        return token
    }

    /// Compares two byte strings without an early exit.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
