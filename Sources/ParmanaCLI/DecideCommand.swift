import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaRuntime

struct DecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "A governed decision against the workspace: prints the same JSON object as a 201 from POST /v1/decisions.",
        discussion: """
            The attestation is printed only after its replay record and audit entry are durable. \
            Repeating the same signals is refused with replay_detected (exit 1), naming the execution \
            that consumed them. With --signals-lines, each line of the file is one decision and one \
            compact JSON line is printed per decision (errors as {"error": …} lines).
            """)

    @Option(name: .customLong("policy-id"), help: "Policy id.") var policyID: String
    @Option(name: .long, help: "Pin a policy version (default: the highest).") var version: String?
    @Option(name: .long, help: "Signals file, or '-' for standard input.") var signals: String?
    @Option(name: .customLong("signals-lines"), help: "A file with one signals document per line (stream mode).") var signalsLines: String?
    @Flag(name: .long, help: "Include the explanation trace.") var explain = false
    @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).") var dir: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (signals == nil) != (signalsLines == nil) else {
            throw ValidationError("give exactly one of --signals or --signals-lines")
        }
    }

    func run() async throws {
        try await guardedAsync(json: common.json) {
            let opened = try await WorkspaceRuntime.open(Workspace.path(dir))
            let runtime = opened.runtime
            if let lines = signalsLines {
                let data = try FileIO.read(lines)
                for line in data.split(separator: 0x0A) where !line.isEmpty {
                    do throws(ParmanaError) {
                        let r = try await runtime.decide(policyID: policyID, version: version, signals: Array(line), explain: explain)
                        FileIO.writeStdout(CanonicalJSON.bytes(r.json) + [0x0A])
                    } catch {
                        FileIO.writeStdout(CanonicalJSON.bytes(error.json) + [0x0A])
                    }
                }
                await runtime.store.close()
                return
            }
            let bytes = try FileIO.read(signals)
            do {
                let r = try await runtime.decide(policyID: policyID, version: version, signals: bytes, explain: explain)
                await runtime.store.close()
                printJSON(r.json)
                if !common.json {
                    FileIO.writeStderr("\(r.state == .pendingOverride ? "pending_override: a human must resolve it with 'parmana override approve|reject \(r.executionID)'" : "completed: \(r.decision.action.rawValue) (\(r.decision.reason))")")
                }
            } catch {
                await runtime.store.close()
                throw error
            }
        }
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
        @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).") var dir: String?
        @Option(name: .long, help: "Write the signed override envelope here as well.") var out: String?
        @Option(name: .long, help: "Submit to this Parmana server (e.g. http://127.0.0.1:8080) instead of the local data directory.")
        var server: String?
        @Option(name: .customLong("token-file"), help: "With --server: the API token file (default: $PARMANA_TOKEN, else DIR/tokens/admin.token).")
        var tokenFile: String?
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
                let client = GovernanceClient(baseURL: server, token: try GovernanceClient.token(file: o.tokenFile, workspace: Workspace.path(o.dir)))
                let exec = try await client.get("/v1/executions/\(o.executionID)")
                guard let hash = exec["attestation_hash"]?.stringValue else {
                    throw ParmanaError(.io, "the server's execution record has no attestation_hash")
                }
                env = try sign(attestationHash: hash)
                result = try await client.post("/v1/executions/\(o.executionID)/override", env.json)
            } else {
                let runtime = try await WorkspaceRuntime.open(Workspace.path(o.dir)).runtime
                defer { Task { await runtime.store.close() } }
                env = try sign(attestationHash: try await runtime.execution(o.executionID).attestationHash)
                result = try await runtime.override(env.json).json
            }
            cmd.printJSON(["execution_id": result["execution_id"] ?? .null, "execution_state": result["execution_state"] ?? .null,
                           "seq": result["seq"] ?? .null, "override": env.json])
        }
    }
}
