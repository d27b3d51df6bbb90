import Foundation
import ParmanaTesting

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/services.sh` with a state directory of its own: a private Redis that a test
/// may stop, restart or hang without disturbing the shared one. The script is spawned
/// with an empty signal mask (Foundation's `Process` would pass the test thread's blocked
/// signals on to redis-server, which would then ignore SIGTERM) and no descriptor but
/// 0–2: otherwise the Redis it starts would hold other tests' pipes (their reader never
/// sees end of file) and sockets. It runs on a thread of its own, never blocking the
/// tests' cooperative threads.
final class ServicesScript: Sendable {
    let stateDir: String
    let script = RepoPaths.root + "/scripts/services.sh"

    init() throws {
        stateDir = NSTemporaryDirectory() + "parmana-services-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// Runs `services.sh ARGS` on a thread of its own; returns its standard output, or
    /// throws with its stderr.
    @discardableResult
    func run(_ args: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.runBlocking(args) })
            }
        }
    }

    func runBlocking(_ args: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["PARMANA_SERVICES_DIR"] = stateDir
        environment["PARMANA_SERVICES_TIMEOUT"] = "20"
        let errPath = stateDir + "/stderr-\(UUID().uuidString.prefix(8))"
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestSetupError(description: "pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try closeFrom3(&actions)
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
    func startRedis() async throws -> [String: String] { Self.exports(try await run(["start", "redis"])) }

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
    func stop() async {
        _ = try? await run(["stop"])
        try? FileManager.default.removeItem(atPath: stateDir)
    }

    /// Runs `body`, then ``stop()`` whatever happens.
    func whileRunning<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }
}

/// "Close every descriptor from 3 up" in the child (glibc's
/// `posix_spawn_file_actions_addclosefrom_np`, not exported by Swift's Glibc module).
private func closeFrom3(_ actions: inout posix_spawn_file_actions_t) throws {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
        throw TestSetupError(description: "this libc lacks posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34)")
    }
    guard unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3) == 0 else {
        throw TestSetupError(description: "posix_spawn_file_actions_addclosefrom_np failed")
    }
}
