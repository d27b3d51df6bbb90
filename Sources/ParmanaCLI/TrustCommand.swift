import ArgumentParser
import ParmanaCore
import ParmanaWorkspace
import ParmanaRuntime

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Manage the workspace trust store: add keys, rotate the attestation key, register runtimes.",
        subcommands: [AddKey.self, Rotate.self, AddRuntime.self])

    struct AddKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-key",
            abstract: "Add a public key (a F.pub.json from keygen) with roles and a validity window.")
        @Option(name: .customLong("public-key"), help: "The key's .pub.json (from keygen).") var publicKey: String
        @Option(name: .long, help: "Role(s), comma-separated (default: those in the file).") var roles: String?
        @Option(name: .customLong("approver-id"), help: "Approver identity (approver role).") var approverID: String?
        @Option(name: .customLong("valid-from"), help: "Start of the window (default: from the file).") var validFrom: String?
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let ws = workspace.path
                var trust = try WorkspaceRuntime.loadTrust(ws)
                var entry = try TrustedKey(json: try FileIO.readJSON(publicKey), pointer: "")
                if let roles { entry.roles = try KeygenCommand.parseRoles(roles) }
                if let approverID { entry.approverID = approverID }
                if let validFrom {
                    guard let t = Timestamp(validFrom) else { throw ParmanaError(.invalidRequest, "--valid-from must look like 2026-01-01T00:00:00.000Z") }
                    entry.validFrom = t
                }
                if entry.roles.contains(.approver), entry.approverID == nil {
                    throw ParmanaError(.invalidRequest, "an approver key needs --approver-id")
                }
                try trust.add(entry)
                try FileIO.write(PrettyJSON.bytes(trust.json), to: ws.trust)
                printLine("added key \(entry.keyID) (\(entry.roles.map(\.rawValue).joined(separator: ","))) to \(ws.trust)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate the attestation key: trust the new key from --at, close the old key's window there, and sign with the new key from now on.",
            discussion: """
                Make the new key with 'parmana keygen --role attestation,checkpoint --out NEW.key'. Everything \
                signed inside the old key's window keeps verifying with nothing but the trust store. The new \
                binary manifest is registered under the new key.
                """)
        @Option(name: .long, help: "The new private key file (attestation role).") var key: String
        @Option(name: .long, help: "When the new key takes over (default: now).") var at: String?
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let ws = workspace.path
                var config = try WorkspaceRuntime.loadConfig(ws)
                var trust = try WorkspaceRuntime.loadTrust(ws)
                let newKey = try FileIO.loadPrivateKey(key)
                guard newKey.roles.contains(.attestation) else { throw ParmanaError(.invalidRequest, "\(key) does not have the attestation role") }
                let when = try at.map { s throws(ParmanaError) in
                    guard let t = Timestamp(s) else { throw ParmanaError(.invalidRequest, "--at must look like 2026-01-01T00:00:00.000Z") }
                    return t
                } ?? SystemClock().now()
                let old = try FileIO.loadPrivateKey(ws.root + "/" + config.attestationKey)
                try trust.add(TrustedKey(publicKey: newKey.publicKey, roles: newKey.roles, validFrom: when, label: "attestation (rotated in)"))
                try trust.close(old.keyID, at: when)
                try trust.register(manifest: Envelope.sign(Provenance.manifest(keyID: newKey.keyID).json, with: newKey))
                // Keep the new private key inside the workspace.
                let name = "keys/attestation-\(newKey.keyID.prefix(8)).key"
                try FileIO.write(KeyFile.encode(newKey), to: ws.root + "/" + name, mode: 0o600, overwrite: false)
                config.attestationKey = name
                if newKey.roles.contains(.checkpoint) { config.checkpointKey = name }
                try FileIO.write(PrettyJSON.bytes(trust.json), to: ws.trust)
                try FileIO.write(PrettyJSON.bytes(config.json), to: ws.config, mode: 0o600)
                printLine("rotated: \(old.keyID) valid until \(when); \(newKey.keyID) valid from \(when) and now signs (\(name))")
            }
        }
    }

    struct AddRuntime: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-runtime",
            abstract: "Register a signed runtime manifest (from 'parmana runtime manifest --sign KEY').")
        @Argument(help: "The signed manifest envelope.") var manifest: String
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let ws = workspace.path
                var trust = try WorkspaceRuntime.loadTrust(ws)
                let env = try Envelope(json: try FileIO.readJSON(manifest))
                try trust.register(manifest: env)
                try FileIO.write(PrettyJSON.bytes(trust.json), to: ws.trust)
                printLine("registered runtime \(RuntimeManifest.identityHash(of: env.payload))")
            }
        }
    }
}
