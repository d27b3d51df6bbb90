import Foundation
import ParmanaTesting

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/services.sh` with a state directory of its own: a private Redis that a test
/// may stop, restart or hang without disturbing the shared one. The script is spawned
/// with an empty signal mask (Foundation's `Process` would pass the test thread's blocked
/// signals on to redis-server, which would then ignore SIGTERM).
final class ServicesScript: Sendable {
    let stateDir: String
    let script = RepoPaths.root + "/scripts/services.sh"

    init() throws {
        stateDir = NSTemporaryDirectory() + "parmana-services-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// Runs `services.sh ARGS`; returns its standard output, or throws with its stderr.
    @discardableResult
    func run(_ args: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["PARMANA_SERVICES_DIR"] = stateDir
        environment["PARMANA_SERVICES_TIMEOUT"] = "20"
        let errPath = stateDir + "/stderr-\(UUID().uuidString.prefix(8))"
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestSetupError(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = (["/bin/bash", script] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, "/bin/bash", &actions, &attributes, argv, envp)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw TestSetupError(description: "cannot run \(script): \(String(cString: strerror(spawned)))")
        }
        let output = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TestSetupError(description: "services.sh \(args.joined(separator: " ")) failed (status \(status)):\n\(stderr)")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `start redis`: the `PARMANA_TEST_*` variables it exports.
    func startRedis() throws -> [String: String] { try Self.exports(run(["start", "redis"])) }

    /// `env`: the variables again (the PID changes across restarts).
    func env() throws -> [String: String] { try Self.exports(run(["env"])) }

    static func exports(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let eq = assignment.firstIndex(of: "=") else { continue }
            out[String(assignment[..<eq])] = String(assignment[assignment.index(after: eq)...])
        }
        return out
    }

    /// `stop`: everything this state directory recorded, data included. Never throws.
    func stop() {
        _ = try? run(["stop"])
        try? FileManager.default.removeItem(atPath: stateDir)
    }
}
