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
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @Option(name: .customLong("approver-id"), help: "Identity of the demo approver key.") var approverID = WorkspaceInitializer.demoApproverID
    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await guardedAsync(json: common.json) {
            let ws = workspace.path
            let made = try await WorkspaceInitializer.create(ws, approverID: approverID, progress: common.json ? { _ in } : progress)
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
