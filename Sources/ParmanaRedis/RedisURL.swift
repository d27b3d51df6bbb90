/// A parsed `redis://[user[:password]@]host[:port][/db]` URL.
///
/// - `user` and `password` are percent-decoded (`%40` for `@`, `%3A` for `:`, `%2F` for `/`); a user needs a
///   password (`redis://:password@host` uses the legacy single-password `AUTH`).
/// - `host` is a name, an IPv4 literal or a bracketed IPv6 literal (`[::1]`); stored without brackets.
/// - `port` defaults to 6379; `db` defaults to 0.
///
/// Anything else (another scheme such as `rediss://` or `unix://`, a query or fragment, a path that is not a
/// database number, bad percent-escapes) throws ``ParseError`` with a message naming the problem.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    /// Why a string is not an accepted Redis URL.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, e.g. `"port 70000 is out of range 1...65535"`.
        public let message: String
        public var description: String { "invalid Redis URL: \(message)" }
    }

    /// Host name or IP literal; IPv6 without brackets.
    public var host: String
    /// TCP port, 1...65535.
    public var port: Int
    /// ACL user name (percent-decoded); `nil` when absent or empty.
    public var username: String?
    /// Password (percent-decoded); `nil` when the URL has no user info.
    public var password: String?
    /// Database index from the path; 0 when absent.
    public var database: Int

    /// Builds a URL value from its parts (no validation).
    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `string`. See the type's documentation for the accepted form.
    public init(_ string: String) throws(ParseError) {
        let scheme = "redis://"
        guard string.lowercased().hasPrefix(scheme) else {
            if string.lowercased().hasPrefix("rediss://") { throw ParseError(message: "TLS (rediss://) is not supported") }
            throw ParseError(message: "expected a URL starting with redis://")
        }
        let rest = string.dropFirst(scheme.count)
        if rest.contains("?") { throw ParseError(message: "query parameters are not supported") }
        if rest.contains("#") { throw ParseError(message: "fragments are not supported") }

        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = ""
        }

        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try Self.percentDecode(userInfo[..<colon], what: "user name")
                username = user.isEmpty ? nil : user
                password = try Self.percentDecode(userInfo[userInfo.index(after: colon)...], what: "password")
            } else {
                throw ParseError(message: "user name without password (use user:password@ or :password@)")
            }
        }

        let portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw ParseError(message: "unterminated IPv6 literal") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw ParseError(message: "unexpected \"\(after)\" after IPv6 literal")
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
            portText = nil
        }
        guard !host.isEmpty else { throw ParseError(message: "missing host") }
        guard !host.contains("%") else { throw ParseError(message: "percent-escapes are not allowed in the host") }

        if let portText {
            guard let value = Self.decimal(portText) else { throw ParseError(message: "invalid port \"\(portText)\"") }
            guard (1...65535).contains(value) else { throw ParseError(message: "port \(value) is out of range 1...65535") }
            port = value
        } else {
            port = 6379
        }

        if path.isEmpty {
            database = 0
        } else {
            guard let value = Self.decimal(path) else {
                throw ParseError(message: "path \"/\(path)\" is not a database number")
            }
            database = value
        }
    }

    /// The URL in canonical form, with the password replaced by `***`.
    public var description: String {
        var text = "redis://"
        if password != nil { text += "\(username ?? ""):***@" }
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)/\(database)"
        return text
    }

    /// Non-empty ASCII digits only (no sign), at most 9 of them.
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(text)
    }

    private static func percentDecode(_ text: Substring, what: String) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw ParseError(message: "bad percent-escape in \(what)")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(message: "\(what) is not valid UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
