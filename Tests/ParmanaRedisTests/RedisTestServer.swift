import Foundation
import NIOCore
import NIOPosix
import ParmanaRedis
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test-setup failure with a readable message.
struct TestSetupError: Error, CustomStringConvertible {
    let description: String
}

/// A private `redis-server` process on a free loopback port, in its own temporary directory, with persistence off
/// and `DEBUG` enabled. The binary is `$PARMANA_TEST_REDIS_SERVER` or `redis-server` on `PATH`; a missing binary
/// fails the test (it is never skipped).
final class RedisTestServer: Sendable {
    let port: Int
    let directory: URL
    private let executable: String
    private let extraArguments: [String]
    /// The running child's pid; `nil` before the first launch and once it has been reaped.
    private let pid = Mutex<pid_t?>(nil)

    var configuration: RedisConfiguration { RedisConfiguration(host: "127.0.0.1", port: port) }

    private init(port: Int, executable: String, extraArguments: [String]) throws {
        self.port = port
        self.executable = executable
        self.extraArguments = extraArguments
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("parmana-redis-test-\(port)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts a server with `extraArguments` appended to the command line (e.g. `["--requirepass", "x"]`) and
    /// returns once it answers.
    static func start(_ extraArguments: [String] = []) async throws -> RedisTestServer {
        let executable = try executablePath()
        for attempt in 1... {
            let server = try RedisTestServer(
                port: try await freePort(), executable: executable, extraArguments: extraArguments
            )
            do {
                try await server.launch()
                return server
            } catch {
                let lostPortRace = server.log.contains("Address already in use")
                await server.stop()
                if !lostPortRace || attempt == 5 { throw error }
            }
        }
        fatalError("unreachable")
    }

    /// Starts the server again on the same port (after ``kill()`` or ``stop(removingDirectory:)``).
    func restart() async throws {
        try await launch()
    }

    /// `SIGKILL`, then waits for the process to be gone.
    func kill() async {
        guard let pid = pid.withLock({ $0 }) else { return }
        sendSignal(pid, SIGKILL)
        await waitForExit()
    }

    /// `redis://127.0.0.1:PORT`.
    var url: String { "redis://127.0.0.1:\(port)" }

    /// `SIGTERM` (then `SIGKILL` after 5 s), waits for exit, and by default removes the directory.
    func stop(removingDirectory: Bool = true) async {
        if isRunning, let pid = pid.withLock({ $0 }) {
            sendSignal(pid, SIGTERM)
            if !(await waitForExit(seconds: 5)) {
                sendSignal(pid, SIGKILL)
                await waitForExit()
            }
        }
        if removingDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The server's log, for failure messages.
    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? "(no log)"
    }

    private func launch() async throws {
        let arguments = [
            executable,
            "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no",
            "--logfile", directory.appendingPathComponent("redis.log").path,
            "--enable-debug-command", "yes",
        ] + extraArguments
        let child = try spawn(arguments)
        pid.withLock { $0 = child }
        try await waitUntilReady()
    }

    /// `true` while the child runs; reaps it (once) when it has exited.
    private var isRunning: Bool {
        pid.withLock { pid in
            guard let child = pid else { return false }
            var status: Int32 = 0
            let result = waitpid(child, &status, WNOHANG)
            if result == 0 { return true }
            pid = nil  // exited and reaped (or not our child any more)
            return false
        }
    }

    /// Polls for up to 10 s until the server accepts a connection and answers PING (an error reply such as NOAUTH
    /// counts as an answer).
    private func waitUntilReady() async throws {
        let configuration = RedisConfiguration(
            host: "127.0.0.1", port: port, connectTimeout: .seconds(1), commandTimeout: .seconds(2)
        )
        let deadline = ContinuousClock.now + .seconds(10)
        var lastError: RedisError?
        while ContinuousClock.now < deadline {
            guard isRunning else {
                throw TestSetupError(description: "redis-server exited during start-up; log:\n\(log)")
            }
            do {
                let connection = try await RedisConnection.connect(configuration: configuration)
                var answered = true
                do {
                    _ = try await connection.ping()
                } catch .server {
                    answered = true
                } catch {
                    answered = false
                    lastError = error
                }
                await connection.close()
                if answered { return }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSetupError(
            description: "redis-server on port \(port) not ready after 10 s (\(String(describing: lastError))); log:\n\(log)"
        )
    }

    @discardableResult
    private func waitForExit(seconds: Int = 10) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if !isRunning { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    private static func executablePath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let name = environment["PARMANA_TEST_REDIS_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "redis-server"
        let hint = "install it (`apt-get install -y redis-server`) or set PARMANA_TEST_REDIS_SERVER to its path"
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else {
                throw TestSetupError(description: "PARMANA_TEST_REDIS_SERVER=\(name) is not an executable file")
            }
            return name
        }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSetupError(description: "\(name) not found on PATH: \(hint)")
    }
}

/// A loopback TCP port that is free right now, chosen at random *below* the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`), so that the client sockets of parallel tests can never be
/// handed it while a server is being (re)started on it.
func freePort() async throws -> Int {
    let range = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
    let ephemeralLow = range?.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
    let candidates = ephemeralLow > 12000 ? 10000..<ephemeralLow : 61000..<65536
    for _ in 0..<50 {
        let port = Int.random(in: candidates)
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).get()
            try await channel.close()
            return port
        } catch {
            continue  // taken; try another
        }
    }
    throw TestSetupError(description: "no free loopback port found in \(candidates)")
}

/// Runs `body` with a fresh server and always stops it afterwards.
func withRedisServer<T>(
    _ extraArguments: [String] = [],
    _ body: (RedisTestServer) async throws -> T
) async throws -> T {
    let server = try await RedisTestServer.start(extraArguments)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

private func sendSignal(_ pid: pid_t, _ signal: Int32) {
    _ = kill(pid, signal)
}

/// Starts `arguments[0]` with stdin/stdout/stderr on /dev/null, no other inherited descriptors, an empty signal
/// mask and default signal
/// dispositions. (Foundation's `Process` lets the child inherit the spawning thread's blocked signals, so
/// redis-server ignored SIGTERM.)
private func spawn(_ arguments: [String]) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    var fileActions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fileActions)
    defer { posix_spawn_file_actions_destroy(&fileActions) }
    posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&fileActions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&fileActions, 2, "/dev/null", O_WRONLY, 0)
    // Without this the child inherits the test process's sockets (NIO's listeners included), keeping ports bound.
    try closeInheritedDescriptors(&fileActions)

    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var child: pid_t = 0
    let result = posix_spawn(&child, arguments[0], &fileActions, &attributes, argv, environ)
    guard result == 0 else {
        throw TestSetupError(description: "cannot run \(arguments[0]): \(String(cString: strerror(result)))")
    }
    return child
}

/// Adds "close every descriptor from 3 up" to `fileActions` with glibc's `posix_spawn_file_actions_addclosefrom_np`
/// (glibc 2.34+, not exported by Swift's Glibc module, hence `dlsym`).
private func closeInheritedDescriptors(_ fileActions: inout posix_spawn_file_actions_t) throws {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
        throw TestSetupError(description: "this libc lacks posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34)")
    }
    let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
    guard addCloseFrom(&fileActions, 3) == 0 else {
        throw TestSetupError(description: "posix_spawn_file_actions_addclosefrom_np failed")
    }
}
