import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaWorkspace

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Validate, hash, sign, test and install policies (parmana.policy/v1).",
        discussion: "Policies are JSON, or YAML (.yaml/.yml) converted to the same JSON model; the hash is always over its JCS.",
        subcommands: [Validate.self, Hash.self, Sign.self, Test.self, Add.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Statically validate a policy; print its identity, hash and warnings.",
            discussion: "Exit 0 when valid, 1 when invalid (the error names a JSON pointer), 2 when unreadable.")
        @Argument(help: "Policy file (JSON, YAML, or a signed envelope).") var file: String
        @OptionGroup var common: CommonOptions

        func run() throws {
            try guarded(json: common.json, invalidExit: [.invalidPolicy: 1]) {
                let p = try PolicyFiles.loadUnchecked(file).policy
                if common.json {
                    printJSON(["valid": true, "policy_id": .string(p.policyID), "version": .string(p.version.text),
                               "policy_hash": .string(p.hash), "rules": .number(Double(p.rules.count)),
                               "warnings": .array(p.warnings.map(\.json))])
                } else {
                    printLine("valid: \(p.policyID) \(p.version.text), \(p.rules.count) rules, \(p.signals.count) signals")
                    printLine("policy_hash: \(p.hash)")
                    for w in p.warnings { printLine("warning: \(w.code) at \(w.pointer): \(w.message)") }
                }
            }
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print policy_hash: sha256 of the JCS of the document without key_id.")
        @Argument(help: "Policy file.") var file: String
        @OptionGroup var common: CommonOptions

        func run() throws {
            try guarded(json: common.json) {
                let p = try PolicyFiles.loadUnchecked(file).policy
                if common.json { printJSON(["policy_hash": .string(p.hash)]) } else { printLine(p.hash) }
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a policy with a policy-role key, writing a signed envelope.")
        @Argument(help: "Policy file (JSON or YAML).") var file: String
        @Option(name: .long, help: "Private key file with the policy role.") var key: String
        @Option(name: .long, help: "Where to write the signed policy envelope.") var out: String
        @OptionGroup var common: CommonOptions

        func run() throws {
            try guarded(json: common.json) {
                let p = try PolicyFiles.loadUnchecked(file).policy
                let k = try FileIO.loadPrivateKey(key)
                guard k.roles.contains(.policy) else {
                    throw ParmanaError(.untrustedKey, "\(key) does not have the policy role")
                }
                let env = LoadedPolicy.sign(p, with: k)
                try FileIO.write(PrettyJSON.bytes(env.json), to: out)
                if common.json {
                    printJSON(["policy_hash": .string(p.hash), "key_id": .string(k.keyID), "out": .string(out)])
                } else {
                    printLine("signed \(p.policyID) \(p.version.text) (policy_hash \(p.hash)) with key \(k.keyID) → \(out)")
                }
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a signed policy against the workspace trust store and install it in DIR/policies/.",
            discussion: "Loading different content under an installed (policy_id, version) is policy_version_conflict.")
        @Argument(help: "Signed policy envelope.") var file: String
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() throws {
            try guarded(json: common.json) {
                let ws = workspace.path
                let trust = try TrustStore(json: try FileIO.readJSON(ws.trust))
                let loaded = try LoadedPolicy(json: try PolicyFiles.readDocument(file), trust: trust, requireSigned: true)
                var reg = try PolicyFiles.registry(ws, trust: trust)
                try reg.add(loaded)
                let path = ws.policies + "/" + PolicyFiles.fileName(loaded.policy)
                try FileIO.write(PrettyJSON.bytes(loaded.envelope!.json), to: path)
                let p = loaded.policy
                if common.json {
                    printJSON(["policy_id": .string(p.policyID), "version": .string(p.version.text), "policy_hash": .string(p.hash), "path": .string(path)])
                } else {
                    printLine("installed \(p.policyID) \(p.version.text) (policy_hash \(p.hash)) → \(path)")
                }
            }
        }
    }
}
