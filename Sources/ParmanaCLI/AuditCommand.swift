import ArgumentParser
import Dispatch
import Foundation
import ParmanaCore
import ParmanaRuntime
import Synchronization

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the audit log, sign a checkpoint, print inclusion or consistency proofs.",
        subcommands: [Verify.self, Checkpoint.self, Proof.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the whole log: hash chain, record hashes, every signature, duplicate fingerprints, checkpoints.",
            discussion: "Exit 0 when the log verifies, 1 when it is broken (the first bad seq is named).")
        @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).") var dir: String?
        @Option(name: .long, help: "Trust store (default: DIR/trust.json).") var trust: String?
        @OptionGroup var common: CommonOptions

        func run() async throws {
            var valid = true
            try await guardedAsync(json: common.json) {
                let ws = Workspace.path(dir)
                let config = try WorkspaceRuntime.loadConfig(ws)
                let ts: TrustStore
                if let trust { ts = try TrustStore(json: try FileIO.readJSON(trust)) } else { ts = try WorkspaceRuntime.loadTrust(ws) }
                let store = try WorkspaceRuntime.openStore(config.store, workspace: ws)
                if !common.json { FileIO.writeStderr("… reading the log") }
                let entries = try await store.allEntries()
                let checkpoints = try await store.checkpoints()
                await store.close()
                if !common.json { FileIO.writeStderr("… verifying \(entries.count) entries and \(checkpoints.count) checkpoints on \(ProcessInfo.processInfo.activeProcessorCount) cores") }
                let report = AuditLogVerifier(trust: ts).verify(entries, checkpoints: checkpoints, runner: AuditCommand.parallel)
                valid = report.valid
                if common.json {
                    printJSON(report.json)
                } else if report.valid {
                    printLine("VALID: \(report.size) entries, \(report.checkpointsChecked) checkpoints, root \(report.rootHash)")
                } else {
                    printLine("INVALID: audit_chain_broken at seq \(report.firstBadSeq ?? 0)")
                    for p in report.problems.sorted(by: { $0.seq < $1.seq }).prefix(20) { printLine("  seq \(p.seq): \(p.message)") }
                }
            }
            if !valid { throw ExitCode(1) }
        }
    }

    /// Runs the verifier's jobs on every core.
    static let parallel: AuditLogVerifier.JobRunner = { jobs, work in
        let results = Mutex([[AuditLogVerifier.Problem]](repeating: [], count: jobs))
        DispatchQueue.concurrentPerform(iterations: jobs) { j in
            let found = work(j)
            results.withLock { $0[j] = found }
        }
        return results.withLock { $0.flatMap { $0 } }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a checkpoint of the log's current head with the checkpoint key and store it.")
        @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).") var dir: String?
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let opened = try await WorkspaceRuntime.open(Workspace.path(dir))
                let cp = try await opened.runtime.checkpoint()
                await opened.runtime.store.close()
                printJSON(cp.json)
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an inclusion proof (with its signed checkpoint) or a consistency proof.",
            discussion: "Inclusion: --seq N or --execution ID (the execution's attestation entry). Consistency: --first A --second B.")
        @Option(name: .long, help: "Audit entry seq.") var seq: Int?
        @Option(name: .long, help: "Execution id: prove its attestation entry.") var execution: String?
        @Option(name: .long, help: "Consistency proof from this size…") var first: Int?
        @Option(name: .long, help: "…to this size.") var second: Int?
        @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).") var dir: String?
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let opened = try await WorkspaceRuntime.open(Workspace.path(dir))
                let runtime = opened.runtime
                if let first, let second {
                    printJSON(try await runtime.consistencyProof(first: first, second: second))
                } else {
                    var n = seq
                    if let execution { n = try await runtime.execution(execution).seq }
                    guard let n else { throw ParmanaError(.invalidRequest, "give --seq, --execution, or --first and --second") }
                    printJSON(try await runtime.inclusionProof(seq: n).json)
                }
                await runtime.store.close()
            }
        }
    }
}

struct RuntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Runtime provenance (SPEC §9).",
        subcommands: [Manifest.self])

    struct Manifest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print this binary's runtime manifest and runtime_hash; --sign KEY prints the signed envelope.",
            discussion: "Register a signed manifest with 'parmana trust add-runtime FILE' so its attestations verify with runtime_verified: true.")
        @Option(name: .long, help: "Sign with this attestation key file.") var sign: String?
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                if let sign {
                    let key = try FileIO.loadPrivateKey(sign)
                    guard key.roles.contains(.attestation) else { throw ParmanaError(.untrustedKey, "\(sign) does not have the attestation role") }
                    let env = Envelope.sign(Provenance.manifest(keyID: key.keyID).json, with: key)
                    printJSON(env.json)
                    if !common.json { FileIO.writeStderr("runtime_hash \(RuntimeManifest.identityHash(of: env.payload))") }
                } else {
                    var m = Provenance.manifest(keyID: "").json
                    if case .object(var o) = m { o["key_id"] = nil; m = .object(o) }
                    printJSON(["manifest": m, "runtime_hash": .string(RuntimeManifest.identityHash(of: m))])
                }
            }
        }
    }
}
