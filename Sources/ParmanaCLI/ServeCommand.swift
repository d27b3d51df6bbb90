import Foundation
import ArgumentParser
import Logging
import ParmanaCore
import ParmanaWorkspace
import ParmanaHTTP
import ParmanaRuntime

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the governance HTTP API (SPEC §15) for the workspace.",
        discussion: """
            Settings come from DIR/config.json, then PARMANA_* environment variables, then flags \
            (docs/configuration.md). Refuses to start without keys, trust store, policies or API tokens, \
            and never generates a key on its own: --init creates a complete workspace first when DIR has \
            none. SIGTERM or Ctrl-C stops gracefully: in-flight requests finish and the store is flushed.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @Option(name: .long, help: "HOST:PORT to listen on (default: config.json's listen, 127.0.0.1:8080).") var listen: String?
    @Flag(name: .customLong("init"), help: "Create the workspace first if DIR has none (prints the new API token).") var initialize = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info; $PARMANA_LOG_LEVEL).")
    var logLevel: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain to serve HTTPS with, relative to the current directory (config tls_cert, $PARMANA_TLS_CERT: relative to the workspace).")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (config tls_key, $PARMANA_TLS_KEY).")
    var tlsKey: String?
    @Option(name: .customLong("console-vectors"), help: ArgumentHelp("Serve the RFC 8785 vectors of this directory to the console's self-test page (tests).", visibility: .hidden))
    var consoleVectors: String?
    @Option(name: .customLong("test-clock"), help: ArgumentHelp("Read the time from this file (RFC 3339), re-read on every use: tests move a live server's clock (expiry) without sleeping.", visibility: .hidden))
    var testClock: String?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await guardedAsync(json: common.json) {
            let ws = workspace.path
            var newToken: String?
            if !FileIO.exists(ws.config) {
                guard initialize else {
                    throw ParmanaError(.invalidConfig, "no workspace at \(ws.root) (config.json is missing); create one with 'parmana init --dir \(ws.root)', or run 'parmana serve --init --dir \(ws.root)'")
                }
                FileIO.writeStderr("… no workspace at \(ws.root): creating one (--init)")
                let made = try await WorkspaceInitializer.create(ws, approverID: WorkspaceInitializer.demoApproverID) { FileIO.writeStderr("… \($0)") }
                FileIO.writeStderr(made.text)
                newToken = made.token
            }
            var config = try WorkspaceRuntime.loadConfig(ws)
            if let listen { config.listen = listen }
            // A path on the command line is the shell's: relative to the current directory.
            // (In config.json and PARMANA_TLS_* it is relative to the workspace.)
            if let tlsCert { config.tlsCert = ServeCommand.absolute(tlsCert) }
            if let tlsKey { config.tlsKey = ServeCommand.absolute(tlsKey) }
            let (host, port) = try GovernanceServer.parseListen(config.listen)
            guard (config.tlsCert == nil) == (config.tlsKey == nil) else {
                throw ParmanaError(.invalidConfig, "give both a TLS certificate and its key (--tls-cert and --tls-key, or tls_cert and tls_key)")
            }
            let tls = try config.tlsCert.map { cert throws(ParmanaError) in
                try TLSFiles.serverConfiguration(certificatePath: ServeCommand.path(cert, ws), keyPath: ServeCommand.path(config.tlsKey!, ws))
            }
            // Bearer tokens must not cross a network in the clear.
            if tls == nil, !GovernanceServer.isLoopback(host), !config.allowPlaintext {
                throw ParmanaError(.invalidConfig, "refusing to serve plain HTTP on \(host), which is not a loopback address: bearer tokens would cross the network in the clear. Give --tls-cert and --tls-key (or tls_cert/tls_key in config.json), or put a TLS proxy in front and set allow_plaintext: true (docs/security.md)")
            }
            let levelName = logLevel ?? CLIContext.current.overrides["PARMANA_LOG_LEVEL"] ?? "info"
            guard let level = Logger.Level(rawValue: levelName) else {
                throw ParmanaError(.invalidConfig, "unknown log level '\(levelName)'")
            }
            let tokens = try ServeCommand.apiTokens(config, ws)
            let clock: any Clock = try testClock.map { p throws(ParmanaError) in try FileClock(path: p) } ?? SystemClock()
            var logger = Logger(label: "parmana") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = level
            if tls == nil, !GovernanceServer.isLoopback(host) {
                logger.warning("serving plain HTTP on \(host) because allow_plaintext is true: TLS must be terminated in front of this server")
            }
            // The node's one long-running process: nothing of this node is in flight yet, so
            // start-up reconciliation resolves its in-flight claims too (SPEC §17.1).
            let opened = try await WorkspaceRuntime.open(ws, config: config, clock: clock, reconcileInFlight: true, logger: logger)
            let settings = APISettings(tokens: tokens, maxBodyBytes: config.maxBodyBytes,
                                       requestTimeout: .seconds(config.requestTimeoutSeconds), consoleVectorsDirectory: consoleVectors,
                                       maxInflight: config.maxInflight)
            let api = GovernanceAPI(runtime: opened.runtime, settings: settings)
            let server = GovernanceServer(api: api, host: host, port: port, logger: logger, tls: tls, maxConnections: config.maxConnections)
            // SIGHUP: the tokens of config.json (token add|revoke) take effect without a restart.
            let reload = ReloadService(logger: logger) {
                let fresh = try WorkspaceRuntime.loadConfig(ws)
                // What start-up refuses, a reload refuses too (the previous tokens stay).
                let tokens = try ServeCommand.apiTokens(fresh, ws)
                api.reload(tokens: tokens)
                return "\(tokens.count) API tokens: \(tokens.map(\.name).joined(separator: ", "))"
            }
            let policies = opened.runtime.policies.count
            let json = common.json
            let tokenFile = ws.tokens + "/admin.token"
            let store = WorkspaceRuntime.redactedStoreURL(config.store)
            let replayStore = opened.replayStoreAddress
            let nodeID = config.nodeID
            let createdToken = newToken
            let scheme = tls == nil ? "http" : "https"
            try await server.run(services: opened.services(logger: logger) + [reload]) { address in
                let bound = address?.port ?? port
                let hostText = host.contains(":") ? "[\(host)]" : host
                let url = "\(scheme)://\(hostText):\(bound)"
                if json {
                    var o = JSONObject([("url", .string(url)), ("workspace", .string(ws.root)), ("store", .string(store))])
                    o["token"] = createdToken.map(JSONValue.string) ?? .null
                    if let replayStore { o["replay_store"] = .string(replayStore) }
                    FileIO.writeStdout(CanonicalJSON.bytes(.object(o)) + [0x0A])
                    return
                }
                var lines = ["parmana serving \(url) (workspace \(ws.root), store \(store)"
                             + (replayStore.map { ", replay store \($0)" } ?? "")
                             + (replayStore != nil || store.hasPrefix("postgres") ? ", node \(nodeID)" : "") + ", \(policies) policies)"]
                if let createdToken { lines.append("  API token (admin; stored in \(tokenFile)): \(createdToken)") }
                lines += [
                    "  try it:",
                    "    TOKEN=$(cat \(tokenFile))",
                    "    curl -s -X POST \(url)/v1/decisions -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\",
                    "      -d '{\"policy_id\":\"payments.release\",\"signals\":{\"payment_id\":\"pay_1\",\"amount\":120.5,\"currency\":\"EUR\",\"kyc_verified\":true}}'",
                    "  approver console: \(url)/console/",
                    "  API description: \(url)/v1/openapi.json — stop with Ctrl-C (in-flight requests finish, the store is flushed)",
                ]
                FileIO.writeStdout(Array((lines.joined(separator: "\n") + "\n").utf8))
            }
        }
    }

    /// A path from config: relative to the workspace, or absolute.
    /// The API tokens of a config, at start-up and on SIGHUP alike: none is `invalid_config`.
    static func apiTokens(_ config: WorkspaceConfig, _ ws: Workspace) throws(ParmanaError) -> [APIToken] {
        let tokens = try config.tokens.map { t throws(ParmanaError) in try APIToken(name: t.name, sha256Hex: t.sha256, roles: t.roles) }
        guard !tokens.isEmpty else {
            throw ParmanaError(.invalidConfig, "no API tokens in \(ws.config); add one under \"tokens\" as {\"name\", \"sha256\" (of the token), \"roles\"}")
        }
        return tokens
    }

    static func path(_ p: String, _ ws: Workspace) -> String { p.hasPrefix("/") ? p : ws.root + "/" + p }
    static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }
}
