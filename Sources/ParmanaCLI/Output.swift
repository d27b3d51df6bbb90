import ArgumentParser
import ParmanaCore
import ParmanaWorkspace

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: .long, help: "Machine-readable JSON output; errors use the SPEC §13 shape.")
    var json = false
}

/// The workspace every workspace command works on (SPEC §14).
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: "Workspace directory (default: $PARMANA_DIR, else ./.parmana).")
    var dir: String?

    var path: Workspace { Workspace.path(dir) }
}

/// Maps error codes to the exit codes of SPEC §14 at the edge.
enum Exit {
    /// 1 for a definite negative answer, 2 for bad usage or unreadable input.
    static func code(for error: ParmanaError) -> Int32 {
        switch error.code {
        case .replayDetected, .auditChainBroken, .overrideAlreadyResolved, .invalidSignature, .untrustedKey,
             .notPending, .attestationMismatch, .policyVersionConflict, .overrideExpired, .projectionMismatch,
             .idempotencyKeyReused:
            return 1
        default:
            return 2
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, turning a ``ParmanaError`` into a one-line message (or §13 JSON) and
    /// the right exit code, with no stack trace.
    func guarded(json: Bool, invalidExit: [ErrorCode: Int32] = [:], _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ParmanaError {
            report(e, json: json)
            throw ExitCode(invalidExit[e.code] ?? Exit.code(for: e))
        }
    }

    /// Async form of ``guarded(json:invalidExit:_:)``.
    func guardedAsync(json: Bool, invalidExit: [ErrorCode: Int32] = [:], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as ParmanaError {
            report(e, json: json)
            throw ExitCode(invalidExit[e.code] ?? Exit.code(for: e))
        }
    }

    func report(_ e: ParmanaError, json: Bool) {
        if json {
            FileIO.writeStdout(CanonicalJSON.bytes(e.json) + [0x0A])
        } else {
            FileIO.writeStderr("error: \(e.code.rawValue): \(e.message)")
            for d in e.details.prefix(20) where !e.message.contains(d.pointer) {
                FileIO.writeStderr("  at \(d.pointer): \(d.message)")
            }
        }
    }

    func printJSON(_ value: JSONValue) {
        FileIO.writeStdout(PrettyJSON.bytes(value))
    }

    func printLine(_ text: String) {
        FileIO.writeStdout(Array((text + "\n").utf8))
    }
}
