import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaRuntime
import ParmanaWorkspace

struct ExecutionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executions",
        abstract: "What approvers see (SPEC §19.4): the pending queue, and one execution with its signals, decision, explanation and lineage.",
        subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pending executions, oldest first, with their quorum and the time left.",
            discussion: "Only pending_override executions are listed; show any execution by id with 'parmana executions show ID'.")
        @Option(name: .long, help: "State to list (pending_override).") var state = "pending_override"
        @Option(name: .customLong("policy-id"), help: "Only this policy's executions.") var policyID: String?
        @Option(name: .long, help: "At most this many.") var limit = 50
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                guard state == ExecutionState.pendingOverride.rawValue else {
                    throw ParmanaError(.invalidRequest, "only pending_override executions are listed; show others with 'parmana executions show ID'")
                }
                guard (1...500).contains(limit) else { throw ParmanaError(.invalidRequest, "--limit must be 1 to 500") }
                let (views, now) = try await WorkspaceRuntime.with(workspace.path, replay: false) { (runtime) throws(ParmanaError) in
                    (try await runtime.pending(PendingQuery(policyID: policyID, limit: limit)), runtime.config.clock.now())
                }
                if common.json {
                    printJSON(["executions": .array(views.map(\.json)), "server_time": .string(now.description)])
                    return
                }
                if views.isEmpty {
                    printLine("no pending executions\(policyID.map { " for \($0)" } ?? "")")
                    return
                }
                printLine(ExecutionsCommand.row(["SEQ", "EXECUTION", "POLICY", "DECISION", "APPROVALS", "TIME LEFT", "ISSUED"]))
                for v in views {
                    let p = v.attestationPayload, q = v.lifecycle.requirement
                    printLine(ExecutionsCommand.row([
                        "\(v.lifecycle.seq)", v.lifecycle.executionID, "\(p.policy.policyID)@\(p.policy.version)",
                        "\(p.decision.action.rawValue) (\(p.decision.ruleID))",
                        "\(v.lifecycle.approvers.count) of \(q?.approvals ?? 1)",
                        ExecutionsCommand.timeLeft(q?.expiresAt, now: now), p.issuedAt.description,
                    ]))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One execution: its signals (when retained), decision, deciding rule, explanation, policy and lineage.",
            discussion: "The state is rebuilt from the log; a store that disagrees is refused with projection_mismatch.")
        @Argument(help: "The execution id.") var executionID: String
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let (v, now) = try await WorkspaceRuntime.with(workspace.path, replay: false) { (runtime) throws(ParmanaError) in
                    (try await runtime.execution(executionID), runtime.config.clock.now())
                }
                if common.json {
                    guard case .object(var o) = v.json else { return }
                    o["server_time"] = .string(now.description)
                    printJSON(.object(o))
                    return
                }
                let p = v.attestationPayload, life = v.lifecycle
                var lines = [
                    "execution \(life.executionID): \(life.state.rawValue)",
                    "  policy      \(p.policy.policyID) \(p.policy.version) (hash \(p.policy.hash))",
                    "  decision    \(p.decision.action.rawValue), reason \(p.decision.reason), rule \(p.decision.ruleID)\(p.decision.requiresOverride ? ", requires an override" : "")",
                    "  issued      \(p.issuedAt) by key \(p.keyID)",
                    "  audit seq   \(life.seq); attestation_hash \(life.attestationHash)",
                ]
                if let q = life.requirement {
                    lines.append("  approvals   \(life.approvers.count) of \(q.approvals)\(life.approvers.isEmpty ? "" : " (\(life.approvers.joined(separator: ", ")))"); \(ExecutionsCommand.timeLeft(q.expiresAt, now: now))")
                }
                if case .object(let signals)? = v.signals {
                    lines.append("  signals")
                    for m in signals.members { lines.append("    \(m.key) = \(CanonicalJSON.string(m.value))") }
                } else {
                    lines.append("  signals     not retained (retain_signals)")
                }
                if let e = v.explanation { lines.append("  explanation\n" + e.text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")) }
                for o in v.overrides {
                    if let op = try? OverridePayload(json: o.envelope.payload) {
                        lines.append("  seq \(o.seq): \(op.resolution.rawValue) by \(op.approverID) at \(op.resolvedAt): \(op.reason)")
                    }
                }
                if let x = v.expiry { lines.append("  seq \(x.seq): expired unresolved") }
                printLine(lines.joined(separator: "\n"))
            }
        }
    }

    static func row(_ cells: [String]) -> String {
        let widths = [6, 37, 28, 30, 10, 14, 24]
        return zip(cells, widths).map { c, w in c.count >= w ? c + " " : c + String(repeating: " ", count: w - c.count) }.joined()
    }

    /// "2 h 5 min left", "expired", or "no expiry".
    static func timeLeft(_ t: Timestamp?, now: Timestamp) -> String {
        guard let t else { return "no expiry" }
        let ms = t.millisecondsSinceEpoch - now.millisecondsSinceEpoch
        guard ms > 0 else { return "expired" }
        let minutes = ms / 60_000
        return minutes >= 60 ? "\(minutes / 60) h \(minutes % 60) min left" : "\(max(minutes, 0)) min \((ms / 1000) % 60) s left"
    }
}
