import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaHTTP
import ParmanaRuntime
import ParmanaWorkspace

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage API tokens: add (printed once; only its SHA-256 is kept), list, revoke.",
        discussion: """
            Tokens live in DIR/config.json as {name, sha256, roles, created_at}. A running 'parmana serve' \
            picks up changes on SIGHUP (kill -HUP PID): a revoked token gets 401 from then on.
            """,
        subcommands: [Add.self, List.self, Revoke.self])

    static func roles(_ text: String) throws(ParmanaError) -> [String] {
        let roles = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !roles.isEmpty else { throw ParmanaError(.invalidRequest, "--roles needs at least one of decide, read, override, admin") }
        for r in roles where APIRole(rawValue: r) == nil {
            throw ParmanaError(.invalidRequest, "unknown role '\(r)'; use decide, read, override or admin")
        }
        var unique: [String] = []
        for r in roles where !unique.contains(r) { unique.append(r) }
        return unique
    }

    static func write(_ config: WorkspaceConfig, _ ws: Workspace) throws(ParmanaError) {
        try FileIO.write(PrettyJSON.bytes(config.json), to: ws.config, mode: 0o600)
    }

    /// Reads config.json, lets `change` edit it and writes it back, holding an exclusive
    /// lock (flock(2) on DIR/.config.lock) throughout: two `token` commands at once never
    /// lose each other's edit (a revoke that reported success must have happened).
    static func editing<T>(_ ws: Workspace, _ change: (inout WorkspaceConfig) throws(ParmanaError) -> T) throws(ParmanaError) -> T {
        let lockPath = ws.root + "/.config.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ParmanaError(.io, "cannot open \(lockPath) to lock the workspace's config") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw ParmanaError(.io, "cannot lock \(lockPath)") }
        defer { _ = flock(fd, LOCK_UN) }
        var config = try stored(ws)
        let result = try change(&config)
        try write(config, ws)
        return result
    }

    /// A token name: 1–128 characters from letters, digits and `.` `_` `-` `@` — it is
    /// printed in `token list` columns and in log lines, so no spaces or control characters.
    static func checkName(_ name: String) throws(ParmanaError) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D || c == 0x40
        }
        guard !name.isEmpty, name.utf8.count <= 128, allowed else {
            throw ParmanaError(.invalidRequest, "--name must be 1 to 128 characters from letters, digits, '.', '_', '-' and '@'")
        }
    }

    /// config.json as stored (without environment overrides, which must not be written back).
    static func stored(_ ws: Workspace) throws(ParmanaError) -> WorkspaceConfig {
        guard FileIO.exists(ws.config) else { throw ParmanaError(.invalidConfig, "no workspace at \(ws.root); create one with 'parmana init --dir \(ws.root)'") }
        return try WorkspaceConfig(json: try FileIO.readJSON(ws.config))
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new token with roles; it is printed once and only its SHA-256 is stored.")
        @Option(name: .long, help: "A unique name (e.g. the client it is for).") var name: String
        @Option(name: .long, help: "Role(s), comma-separated: decide, read, override, admin.") var roles: String
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let ws = workspace.path
                let roles = try TokenCommand.roles(self.roles)
                try TokenCommand.checkName(name)
                var bytes = [UInt8](repeating: 0, count: 32)
                var rng = SystemRandomNumberGenerator()
                for i in bytes.indices { bytes[i] = rng.next() }
                let token = "pmn_" + Hex.encode(bytes)
                let now = SystemClock().now()
                try TokenCommand.editing(ws) { (config) throws(ParmanaError) in
                    guard !config.tokens.contains(where: { $0.name == name }) else {
                        throw ParmanaError(.invalidRequest, "a token named '\(name)' exists; revoke it first or choose another name")
                    }
                    config.tokens.append(.init(name: name, sha256: Hashing.sha256Hex(Array(token.utf8)), roles: roles, createdAt: now))
                }
                if common.json {
                    printJSON(["name": .string(name), "roles": .array(roles.map(JSONValue.string)), "created_at": .string(now.description),
                               "token": .string(token)])
                } else {
                    printLine(token)
                    FileIO.writeStderr("token '\(name)' (\(roles.joined(separator: ","))) added to \(ws.config); it is shown only now. A running server picks it up on SIGHUP.")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Names, roles and creation times of the tokens; never secrets.")
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let config = try TokenCommand.stored(workspace.path)
                if common.json {
                    printJSON(["tokens": .array(config.tokens.map {
                        ["name": .string($0.name), "roles": .array($0.roles.map(JSONValue.string)),
                         "created_at": $0.createdAt.map { .string($0.description) } ?? .null]
                    })])
                } else {
                    for t in config.tokens {
                        printLine("\(t.name)\t\(t.roles.joined(separator: ","))\t\(t.createdAt?.description ?? "-")")
                    }
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a token; a running server refuses it with 401 after SIGHUP.")
        @Argument(help: "The token's name.") var name: String
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let ws = workspace.path
                try TokenCommand.editing(ws) { (config) throws(ParmanaError) in
                    guard config.tokens.contains(where: { $0.name == name }) else {
                        throw ParmanaError(.notFound, "no token named '\(name)' (see 'parmana token list')")
                    }
                    config.tokens.removeAll { $0.name == name }
                    guard !config.tokens.isEmpty else {
                        throw ParmanaError(.invalidRequest, "'\(name)' is the last token: the server could not be used; add another first")
                    }
                }
                if common.json {
                    printJSON(["revoked": .string(name)])
                } else {
                    printLine("revoked '\(name)'; send SIGHUP to a running server (kill -HUP PID) to apply it now")
                }
            }
        }
    }
}
