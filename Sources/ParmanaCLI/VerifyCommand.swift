import ArgumentParser
import ParmanaCore
import ParmanaWorkspace

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an attestation offline and print the SPEC §12 report.",
        discussion: "Exit 0 when valid, 1 when invalid, 2 when an input cannot be read.")

    @Argument(help: "The attestation envelope, or the JSON printed by 'parmana decide' (file, or '-' for standard input).") var attestation: String
    @Option(name: .long, help: "Trust store file (default: DIR/trust.json).") var trust: String?
    @Option(name: .long, help: "An override envelope for this execution; repeat for a quorum (SPEC §19.3).") var override: [String] = []
    @Option(name: .long, help: "The signals, to check the fingerprint.") var signals: String?
    @Option(name: .long, help: "The policy (signed envelope or document), to reproduce the decision.") var policy: String?
    @Option(name: .long, help: "An inclusion proof with its checkpoint.") var proof: String?
    @Flag(name: .customLong("require-known-runtime"), help: "Treat an unregistered runtime_hash as invalid.")
    var requireKnownRuntime = false
    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var common: CommonOptions

    /// Accepts the output of `decide` / `override` (an object holding the envelope under
    /// `member`) as well as the bare envelope. Anything else is passed on unchanged, to
    /// be judged by the verifier.
    static func unwrap(_ bytes: [UInt8], member: String) -> [UInt8] {
        guard let v = try? JSONParser().parse(bytes), v["payload"] == nil, let inner = v[member], inner["payload"] != nil else { return bytes }
        return CanonicalJSON.bytes(inner)
    }

    func run() throws {
        var report: VerificationReport?
        try guarded(json: common.json) {
            let trustPath = trust ?? workspace.path.trust
            let store = try TrustStore(json: try FileIO.readJSON(trustPath))
            let input = Verifier.Input(
                attestation: VerifyCommand.unwrap(try FileIO.read(attestation), member: "attestation"),
                overrides: try override.map { p throws(ParmanaError) in VerifyCommand.unwrap(try FileIO.read(p), member: "override") },
                signals: try signals.map { p throws(ParmanaError) in try FileIO.read(p) },
                policy: try policy.map { p throws(ParmanaError) in try FileIO.read(p) },
                proof: try proof.map { p throws(ParmanaError) in try FileIO.read(p) },
                requireKnownRuntime: requireKnownRuntime)
            report = Verifier(trust: store).verify(input)
        }
        guard let report else { return }
        if common.json {
            printJSON(report.json)
        } else {
            printLine(report.valid ? "VALID" : "INVALID")
            printLine("authorized: \(report.authorized)")
            for (name, value) in zip(VerificationReport.Checks.names, report.checks.values) {
                printLine("  \(name): \(value.map { $0 ? "ok" : "FAILED" } ?? "not checked")")
            }
            for e in report.errors { printLine("  error \(e.code.rawValue): \(e.message)") }
        }
        if !report.valid { throw ExitCode(1) }
    }
}
