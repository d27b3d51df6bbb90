import ArgumentParser
import Foundation
import ParmanaCore
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

    @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).") var dir: String?
    @Option(name: .customLong("approver-id"), help: "Identity of the demo approver key.") var approverID = "demo-approver@example.com"
    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await guardedAsync(json: common.json) {
            let ws = Workspace.path(dir)
            if FileIO.exists(ws.config) {
                throw ParmanaError(.invalidConfig, "\(ws.root) is already a workspace (config.json exists); choose another --dir")
            }
            let now = SystemClock().now()
            try FileIO.createDirectory(ws.root, mode: 0o700)
            try FileIO.createDirectory(ws.keys, mode: 0o700)
            try FileIO.createDirectory(ws.tokens, mode: 0o700)
            try FileIO.createDirectory(ws.policies)
            try FileIO.createDirectory(ws.data, mode: 0o700)
            progress("creating keys")
            let attestation = SigningKey(roles: [.attestation, .checkpoint])
            let policyKey = SigningKey(roles: [.policy])
            let approver = SigningKey(roles: [.approver], approverID: approverID)
            try FileIO.write(KeyFile.encode(attestation), to: ws.keys + "/attestation.key", mode: 0o600, overwrite: false)
            try FileIO.write(KeyFile.encode(policyKey), to: ws.keys + "/policy.key", mode: 0o600, overwrite: false)
            try FileIO.write(KeyFile.encode(approver), to: ws.keys + "/approver-demo.key", mode: 0o600, overwrite: false)

            progress("writing the trust store with this runtime's manifest")
            var trust = TrustStore()
            try trust.add(TrustedKey(publicKey: attestation.publicKey, roles: [.attestation, .checkpoint], validFrom: now, label: "attestation"))
            try trust.add(TrustedKey(publicKey: policyKey.publicKey, roles: [.policy], validFrom: now, label: "policy"))
            try trust.add(TrustedKey(publicKey: approver.publicKey, roles: [.approver], validFrom: now, label: "demo approver", approverID: approverID))
            let manifest = Envelope.sign(Provenance.manifest(keyID: attestation.keyID).json, with: attestation)
            try trust.register(manifest: manifest)
            try FileIO.write(PrettyJSON.bytes(trust.json), to: ws.trust)

            progress("signing the example policies")
            for (name, text) in ExamplePolicies.all {
                let policy = try Policy(json: try JSONParser().parse(Array(text.utf8)))
                let env = LoadedPolicy.sign(policy, with: policyKey)
                try FileIO.write(PrettyJSON.bytes(env.json), to: ws.policies + "/" + PolicyFiles.fileName(policy))
                _ = name
            }

            var tokenBytes = [UInt8](repeating: 0, count: 32)
            var rng = SystemRandomNumberGenerator()
            for i in tokenBytes.indices { tokenBytes[i] = rng.next() }
            let token = "pmn_" + Hex.encode(tokenBytes)
            try FileIO.write(Array((token + "\n").utf8), to: ws.tokens + "/admin.token", mode: 0o600, overwrite: false)
            var logID = [UInt8](repeating: 0, count: 8)
            for i in logID.indices { logID[i] = rng.next() }
            let config = WorkspaceConfig(logID: "parmana-" + Hex.encode(logID),
                                         tokens: [.init(name: "admin", sha256: Hashing.sha256Hex(Array(token.utf8)), roles: ["admin"])])
            try FileIO.write(PrettyJSON.bytes(config.json), to: ws.config, mode: 0o600)

            progress("opening the store")
            let opened = try await WorkspaceRuntime.open(ws)
            let size = try await opened.runtime.store.size()
            await opened.runtime.store.close()
            if common.json {
                printJSON(["dir": .string(ws.root), "runtime_hash": .string(RuntimeManifest.identityHash(of: manifest.payload)),
                           "attestation_key_id": .string(attestation.keyID), "token_file": .string(ws.tokens + "/admin.token"),
                           "policies": .array(ExamplePolicies.all.map { .string($0.name) }), "audit_entries": .number(Double(size))])
            } else {
                printLine("""
                    Initialized workspace \(ws.root)
                      attestation key \(attestation.keyID) (also signs checkpoints)
                      policy key      \(policyKey.keyID)
                      demo approver   \(approver.keyID) (\(approverID))
                      runtime_hash    \(RuntimeManifest.identityHash(of: manifest.payload))
                      policies        \(ExamplePolicies.all.map(\.name).joined(separator: ", "))
                      API token       \(ws.tokens)/admin.token
                      audit log       \(size) entries (runtime_started, policy_loaded)
                    Next: parmana decide --dir \(ws.root) --policy-id payments.release --signals SIGNALS.json
                    """)
            }
        }
    }

    func progress(_ s: String) {
        if !common.json { FileIO.writeStderr("… \(s)") }
    }
}
