import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaWorkspace
import ParmanaRuntime

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a ready workspace: keys, trust store, signed example policies, config, first API token.",
        discussion: """
            Makes DIR/keys/attestation.key (roles attestation, checkpoint), policy.key and \
            approver-demo.key (mode 0600), DIR/trust.json with those keys and this binary's signed \
            runtime manifest, the three example policies signed into DIR/policies/, DIR/config.json, \
            DIR/tokens/admin.token (mode 0600; only its SHA-256 is in config.json) and the SQLite \
            store in DIR/data/. Refuses to touch an existing workspace.

            With --join D1 --node-id NAME, DIR becomes a new node of D1's cluster (SPEC §17): it \
            shares D1's trust store, policies, API tokens and store settings (config copied with \
            its own node_id, and a new log_id — except on a postgres:// store, whose nodes share \
            one log and keep D1's log_id), gets its own attestation key (roles attestation, \
            checkpoint), trusted from now in D1/trust.json and DIR/trust.json, and registers this \
            binary's manifest under that key. Refuses if DIR exists or D1 is not a workspace. Copy \
            the updated trust.json to every other node; for machines that share no disk, see \
            docs/deployment.md.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @Option(name: .customLong("approver-id"), help: "Identity of the demo approver key.") var approverID = WorkspaceInitializer.demoApproverID
    @Option(name: .long, help: "Join the cluster of this existing workspace (needs --node-id).") var join: String?
    @Option(name: .customLong("node-id"), help: "This node's id: [a-z0-9][a-z0-9._-]{0,63}.") var nodeID: String?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await guardedAsync(json: common.json) {
            let ws = workspace.path
            if let join {
                guard let nodeID else { throw ParmanaError(.invalidConfig, "--join needs --node-id NAME (each node has its own)") }
                let joined = try await WorkspaceJoiner.join(ws, cluster: Workspace(root: join), nodeID: nodeID,
                                                            progress: common.json ? { _ in } : progress)
                if common.json {
                    printJSON(joined.json)
                } else {
                    printLine(joined.text)
                }
                return
            }
            let made = try await WorkspaceInitializer.create(ws, approverID: approverID, nodeID: nodeID,
                                                             progress: common.json ? { _ in } : progress)
            if common.json {
                printJSON(made.json)
            } else {
                printLine(made.text)
                printLine("Next: parmana decide --dir \(ws.root) --policy-id payments.release --signals SIGNALS.json")
            }
        }
    }

    func progress(_ s: String) {
        if !common.json { FileIO.writeStderr("… \(s)") }
    }
}
