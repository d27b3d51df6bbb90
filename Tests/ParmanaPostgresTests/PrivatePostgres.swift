import Foundation
import ParmanaTesting

/// A PostgreSQL server of one test's own, started by `scripts/services.sh` with a state
/// directory of its own, so that the test can stop and restart it (`stop-postgres`,
/// `restart-postgres`: same port, same data) without disturbing the shared test server.
struct PrivatePostgres {
    let stateDir: String
    let url: String

    static func start() async throws -> PrivatePostgres {
        let dir = NSTemporaryDirectory() + "parmana-pg-fault-\(UUID().uuidString.prefix(8))"
        let out = try await run(["start", "postgres"], stateDir: dir)
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("export PARMANA_TEST_POSTGRES_URL=") }) else {
            throw TestSetupError("scripts/services.sh start postgres printed no PARMANA_TEST_POSTGRES_URL:\n\(out)")
        }
        return PrivatePostgres(stateDir: dir, url: String(line.dropFirst("export PARMANA_TEST_POSTGRES_URL=".count)))
    }

    func stop() async throws { _ = try await Self.run(["stop-postgres"], stateDir: stateDir) }
    func restart() async throws { _ = try await Self.run(["restart-postgres"], stateDir: stateDir) }
    /// Stops the server and deletes its data.
    func discard() async { _ = try? await Self.run(["stop"], stateDir: stateDir) }

    /// Runs `body` with a new server, and discards the server afterwards.
    static func with<T>(_ body: (PrivatePostgres) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let value = try await body(server)
            await server.discard()
            return value
        } catch {
            await server.discard()
            throw error
        }
    }

    /// Runs `scripts/services.sh ARGS`; its standard output, or an error with its standard error.
    ///
    /// Run with every descriptor above 2 closed, output to files, and waited for on a
    /// thread of its own: the server the script starts is a daemon that would inherit (and
    /// hold open forever) any pipe or socket Foundation's `Process` uses to see the
    /// script end.
    @discardableResult
    static func run(_ args: [String], stateDir: String) async throws -> String {
        let base = NSTemporaryDirectory() + "parmana-services-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        var env = ProcessInfo.processInfo.environment
        env["PARMANA_SERVICES_DIR"] = stateDir
        // bash closes every inherited descriptor above 2, then runs the script.
        let closeAndRun = #"for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done; exec /bin/bash "$0" "$@""#
        let argv = ["/bin/bash", "-c", closeAndRun, RepoPaths.root + "/scripts/services.sh"] + args
        let envp = env.map { "\($0.key)=\($0.value)" }
        let status: Int32 = try await withCheckedThrowingContinuation { cont in
            Thread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                let cArgs = argv.map { strdup($0) } + [nil]
                let cEnv = envp.map { strdup($0) } + [nil]
                defer { (cArgs + cEnv).forEach { free($0) } }
                var pid: pid_t = 0
                let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
                guard rc == 0 else {
                    cont.resume(throwing: TestSetupError("cannot run scripts/services.sh: errno \(rc)"))
                    return
                }
                var st: Int32 = 0
                while waitpid(pid, &st, 0) == -1 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS
                cont.resume(returning: (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f))
            }.start()
        }
        let output = FileManager.default.contents(atPath: base + ".out") ?? Data()
        guard status == 0 else {
            let errors = FileManager.default.contents(atPath: base + ".err") ?? Data()
            throw TestSetupError("scripts/services.sh \(args.joined(separator: " ")) failed (\(status)):\n"
                + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
