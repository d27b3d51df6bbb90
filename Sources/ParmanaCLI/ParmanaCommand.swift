import ArgumentParser
import ParmanaWorkspace

/// The `parmana` command line (SPEC §14).
public struct ParmanaCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "parmana",
        abstract: "Deterministic governance runtime: is this action authorized to execute?",
        discussion: """
            Exit codes: 0 success or valid; 1 a definite negative answer (invalid attestation, \
            broken audit log, replay refused, failed policy tests); 2 bad usage or unreadable input.
            """,
        version: ParmanaVersion.string,
        subcommands: [
            CanonicalizeCommand.self, FingerprintCommand.self, KeygenCommand.self, VerifyCommand.self,
            PolicyCommand.self, EvaluateCommand.self, InitCommand.self, DecideCommand.self, OverrideCommand.self,
            AuditCommand.self, ExecutionsCommand.self, ReplayCommand.self, RuntimeCommand.self, TrustCommand.self, TokenCommand.self, ServeCommand.self, BenchCommand.self,
        ]
    )

    public init() {}
}

