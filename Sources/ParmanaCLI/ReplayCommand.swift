import ArgumentParser
import ParmanaCore
import ParmanaRuntime
import ParmanaWorkspace

/// `parmana replay …`: the shared replay store of topology A (SPEC §17.1).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "The shared replay store of a cluster (topology A: one Redis, one log per node).",
        subcommands: [Reconcile.self])

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve this node's in-doubt replay claims from its own log; print what was kept and released.",
            discussion: """
                A claim is in doubt when the node could not tell whether its local commit happened \
                (a crash or a timeout). For each of this node's in-doubt claims: if the fingerprint is \
                executed in this node's log, the claim is kept (and an Idempotency-Key decided with it \
                is completed); otherwise the claim is released, so the same signals can be decided \
                again on any node. A claim whose execution is in a log is never released. The node \
                also does this at every start.

                By default only in-doubt claims are resolved, which is safe while the node runs. \
                --include-in-flight also resolves the node's claims still listed as in flight: use it \
                ONLY while the node is stopped (no 'parmana serve' and no other command using this \
                workspace), or a decision being made right now could lose its claim. \
                'parmana serve' does this itself at start-up, before it decides anything.
                """)

        @OptionGroup var workspace: WorkspaceOptions
        @Flag(name: .customLong("include-in-flight"), help: "Also resolve in-flight claims. Only while the node is stopped.")
        var includeInFlight = false
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let opened = try await WorkspaceRuntime.open(workspace.path, start: false)
                let nodeID = opened.config.nodeID
                let include = includeInFlight
                let done = try await opened.run { (runtime) throws(ParmanaError) -> SplitEvidenceStore.Reconciliation in
                    guard let split = runtime.store as? SplitEvidenceStore else {
                        throw ParmanaError(.invalidConfig, "\(opened.workspace.config) has no replay_store: this node consumes fingerprints in its own store, nothing to reconcile")
                    }
                    do throws(StoreError) { return try await split.reconcile(includeInFlight: include) } catch { throw ParmanaError(error) }
                }
                if common.json {
                    guard case .object(var o) = done.json else { return }
                    o["node_id"] = .string(nodeID)
                    o["include_in_flight"] = .bool(include)
                    printJSON(.object(o))
                    return
                }
                printLine("node \(nodeID): \(done.kept.count) claim(s) kept, \(done.released.count) released"
                          + (include ? " (in-doubt and in-flight claims)" : " (in-doubt claims)"))
                for c in done.kept { printLine("  kept      \(c.fingerprint)  execution \(c.executionID) is in this node's log") }
                for c in done.released { printLine("  released  \(c.fingerprint)  execution \(c.executionID) is not in this node's log") }
            }
        }
    }
}
