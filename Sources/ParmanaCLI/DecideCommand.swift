import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaWorkspace
import ParmanaRuntime

struct DecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "A governed decision against the workspace: prints the same JSON object as a 201 from POST /v1/decisions.",
        discussion: """
            The attestation is printed only after its replay record and audit entry are durable. \
            Repeating the same signals is refused with replay_detected (exit 1), naming the execution \
            that consumed them, unless --idempotency-key repeats a key: then the original decision is \
            printed unchanged. With --signals-lines, each line of the file is one decision, many are \
            decided at once, and one compact JSON line is printed per line in input order (a bad line gets \
            its own {"error": …} line and the stream goes on; the exit status is then 1).
            """)

    @Option(name: .customLong("policy-id"), help: "Policy id.") var policyID: String
    @Option(name: .long, help: "Pin a policy version (default: the highest).") var version: String?
    @Option(name: .long, help: "Signals file, or '-' for standard input.") var signals: String?
    @Option(name: .customLong("signals-lines"), help: "A file with one signals document per line (stream mode).") var signalsLines: String?
    @Flag(name: .long, help: "Include the explanation trace.") var explain = false
    @Option(name: .customLong("idempotency-key"), help: "Retry-safe key (SPEC §18): the same key and request return the original decision unchanged.")
    var idempotencyKey: String?
    @Option(name: .customLong("in-flight"), help: "With --signals-lines: decisions in flight at once (they share group commits).")
    var inFlight = 256
    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (signals == nil) != (signalsLines == nil) else {
            throw ValidationError("give exactly one of --signals or --signals-lines")
        }
        guard signalsLines == nil || idempotencyKey == nil else {
            throw ValidationError("--idempotency-key names one request; it cannot be used with --signals-lines")
        }
    }

    /// Lines of a stream that were refused (exit status 1 when any was).
    final class FailedLines: @unchecked Sendable { var count = 0 }

    func run() async throws {
        let failed = FailedLines()
        try await guardedAsync(json: common.json) {
            try await WorkspaceRuntime.with(workspace.path) { (runtime) throws(ParmanaError) in
                if let lines = signalsLines {
                    failed.count = try await stream(runtime, lines)
                    return
                }
                let bytes = try FileIO.read(signals)
                let r = try await runtime.decide(policyID: policyID, version: version, signals: bytes, explain: explain,
                                                 idempotencyKey: idempotencyKey)
                printJSON(r.json)
                if !common.json {
                    FileIO.writeStderr(r.idempotentReplay ? "idempotent replay: the original decision of execution \(r.executionID), unchanged"
                        : r.state == .pendingOverride ? "pending_override: a human must resolve it with 'parmana override approve|reject \(r.executionID)'"
                        : "completed: \(r.decision.action.rawValue) (\(r.decision.reason))")
                }
            }
        }
        if failed.count > 0 {
            if !common.json { FileIO.writeStderr("\(failed.count) line(s) were not decided: see their {\"error\": …} lines") }
            throw ExitCode(1)
        }
    }

    /// Stream mode: up to `inFlight` decisions at once (so they share group commits),
    /// one compact JSON line per input line, in input order; a bad line gets its own
    /// error line and the stream goes on. Progress goes to stderr on a terminal.
    /// Returns the number of lines that got an error line.
    func stream(_ runtime: Runtime, _ path: String) async throws(ParmanaError) -> Int {
        let data = try FileIO.read(path)
        // One output line per input line, blank lines included (they are invalid_json), so
        // output line N always answers input line N; only the newline ending the file ends no line.
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        var failures = 0
        let window = max(1, inFlight)
        let policyID = policyID, version = version, explain = explain
        let progress = isatty(STDERR_FILENO) == 1 && !common.json
        let start = ContinuousClock.now
        var pending: [Int: [UInt8]] = [:]
        var nextOut = 0
        var out: [UInt8] = []
        await withTaskGroup(of: (Int, [UInt8], Bool).self) { group in
            var nextIn = 0
            func launch() {
                let i = nextIn
                let line = lines[i]
                nextIn += 1
                group.addTask {
                    do throws(ParmanaError) {
                        return (i, CanonicalJSON.bytes(try await runtime.decide(policyID: policyID, version: version, signals: line, explain: explain).json), false)
                    } catch {
                        var e = error
                        e.details.insert(.init(pointer: "/line", message: "\(i + 1)"), at: 0)
                        return (i, CanonicalJSON.bytes(e.json), true)
                    }
                }
            }
            while nextIn < lines.count && nextIn < window { launch() }
            for await (i, bytes, failed) in group {
                if failed { failures += 1 }
                pending[i] = bytes
                while let b = pending.removeValue(forKey: nextOut) {
                    out += b
                    out.append(0x0A)
                    nextOut += 1
                }
                if out.count > 1 << 16 {
                    FileIO.writeStdout(out)
                    out.removeAll(keepingCapacity: true)
                }
                if nextIn < lines.count { launch() }
                if progress && nextOut % 1000 == 0 && nextOut > 0 {
                    let secs = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
                    FileIO.writeStderrInline("… \(nextOut) of \(lines.count) decisions (\(Int(Double(nextOut) / max(secs, 0.001)))/s)")
                }
            }
        }
        FileIO.writeStdout(out)
        if progress { FileIO.writeStderr("\r… \(lines.count) of \(lines.count) decisions") }
        return failures
    }
}

struct OverrideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "override",
        abstract: "Sign and submit a human's resolution of a pending execution.",
        subcommands: [Approve.self, Reject.self])

    struct Options: ParsableArguments {
        @Argument(help: "The execution id (from the decision).") var executionID: String
        @Option(name: .long, help: "The approver's private key file (approver role).") var key: String
        @Option(name: .long, help: "Why (recorded in the signed override).") var reason: String
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "Write the signed override envelope here as well.") var out: String?
        @Option(name: .long, help: "Submit to this Parmana server (e.g. http://127.0.0.1:8080) instead of the local data directory.")
        var server: String?
        @Option(name: .customLong("token-file"), help: "With --server: the API token file (default: $PARMANA_TOKEN, else DIR/tokens/admin.token).")
        var tokenFile: String?
        @Option(name: .long, help: "With --server https://…: a PEM file of CA certificates to trust (a private CA); the server's certificate is always verified.")
        var cacert: String?
        @OptionGroup var common: CommonOptions
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a pending execution.")
        @OptionGroup var options: Options
        func run() async throws { try await OverrideCommand.submit(options, .approve, self) }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a pending execution.")
        @OptionGroup var options: Options
        func run() async throws { try await OverrideCommand.submit(options, .reject, self) }
    }

    /// Signs the resolution with the approver's key against the execution's attestation
    /// hash (from the local data directory, or from `--server`) and submits it there.
    static func submit(_ o: Options, _ resolution: Action, _ cmd: some ParsableCommand) async throws {
        try await cmd.guardedAsync(json: o.common.json) {
            let key = try FileIO.loadPrivateKey(o.key)
            guard key.roles.contains(.approver), let approverID = key.approverID else {
                throw ParmanaError(.untrustedKey, "\(o.key) is not an approver key")
            }
            func sign(attestationHash: String) throws(ParmanaError) -> Envelope {
                let payload = OverridePayload(
                    executionID: o.executionID, attestationHash: attestationHash, resolution: resolution, reason: o.reason,
                    approverID: approverID, resolvedAt: SystemClock().now(), keyID: key.keyID)
                let env = Envelope.sign(payload.json, with: key)
                if let out = o.out { try FileIO.write(PrettyJSON.bytes(env.json), to: out) }
                return env
            }
            let env: Envelope
            let result: JSONValue
            if let server = o.server {
                // The server checks the signed override against its own trust store.
                let client = GovernanceClient(baseURL: server, token: try GovernanceClient.token(file: o.tokenFile, workspace: o.workspace.path),
                                              caCertificate: o.cacert)
                let exec = try await client.get("/v1/executions/\(o.executionID)")
                guard let hash = exec["attestation_hash"]?.stringValue else {
                    throw ParmanaError(.io, "the server's execution record has no attestation_hash")
                }
                env = try sign(attestationHash: hash)
                result = try await client.post("/v1/executions/\(o.executionID)/override", env.json)
            } else {
                // Overrides are recorded in this node's log only: no replay store needed.
                (env, result) = try await WorkspaceRuntime.with(o.workspace.path, replay: false) { (runtime) throws(ParmanaError) in
                    let env = try sign(attestationHash: try await runtime.execution(o.executionID).lifecycle.attestationHash)
                    return (env, try await runtime.override(env.json).json)
                }
            }
            cmd.printJSON(["execution_id": result["execution_id"] ?? .null, "execution_state": result["execution_state"] ?? .null,
                           "seq": result["seq"] ?? .null, "quorum": result["quorum"] ?? .null, "override": env.json])
        }
    }
}
