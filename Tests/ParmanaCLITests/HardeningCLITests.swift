import Foundation
import ParmanaCore
import ParmanaTesting
import ParmanaWorkspace
import Testing

/// Issue 13 through the real binary: TLS (a CA and certificates made by the openssl CLI
/// during the test), plain HTTP refused off loopback, and token management picked up
/// by a live server on SIGHUP.
@Suite(.serialized) struct HardeningCLITests {
    /// A running `parmana serve` process.
    final class Server {
        let process = Process()
        let port: Int
        let stderr = Pipe()

        init(_ args: [String], env: [String: String] = [:]) throws {
            port = Server.freePort()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--log-level", "notice"] + args
            var environment = ProcessInfo.processInfo.environment
            environment["PARMANA_DIR"] = nil
            for (k, v) in env { environment[k] = v }
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = stderr
            try process.run()
        }

        static func freePort() -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            return Int(UInt16(bigEndian: addr.sin_port))
        }

        /// Waits (bounded) until the port accepts connections.
        func waitUntilListening() throws {
            for _ in 0..<300 {
                if !process.isRunning { throw ParmanaError(.io, "serve exited: \(String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self))") }
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                close(fd)
                if ok == 0 { return }
                usleep(100_000)
            }
            throw ParmanaError(.io, "serve did not start listening")
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Runs a tool and returns its exit status and output.
    @discardableResult
    static func sh(_ args: [String], cwd: String) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A CA, a server certificate for 127.0.0.1 signed by it, an expired one, and an
    /// unrelated CA, all made with the openssl CLI.
    static func certificates(in dir: String) throws {
        func run(_ args: [String]) throws {
            let r = try sh(args, cwd: dir)
            guard r.status == 0 else { throw ParmanaError(.io, "\(args.joined(separator: " ")): \(r.out)") }
        }
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/san.ext"))
        for ca in ["ca", "other-ca"] {
            try run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem", "-days", "2",
                     "-subj", "/CN=Parmana test \(ca)"])
        }
        try run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                 "-days", "2", "-extfile", "san.ext"])
        // An expired certificate from the same CA: `openssl ca` takes explicit dates.
        try Data("""
            [ca]
            default_ca = test
            [test]
            dir = .
            database = index.txt
            new_certs_dir = .
            serial = serial
            default_md = sha256
            policy = any
            copy_extensions = none
            [any]
            commonName = supplied
            """.utf8).write(to: URL(fileURLWithPath: dir + "/ca.cnf"))
        try Data().write(to: URL(fileURLWithPath: dir + "/index.txt"))
        try Data("1000\n".utf8).write(to: URL(fileURLWithPath: dir + "/serial"))
        try run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-in", "server.csr", "-cert", "ca.pem", "-keyfile", "ca.key",
                 "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", "san.ext", "-notext"])
    }

    @Test func tlsWithAPrivateCA() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        try Self.certificates(in: dir)
        let server = try Server(["--dir", ws, "--tls-cert", dir + "/server.pem", "--tls-key", dir + "/server.key"])
        defer { server.stop() }
        try server.waitUntilListening()
        let url = "https://127.0.0.1:\(server.port)"
        // curl with the private CA: verified.
        let ok = try Self.sh(["curl", "-sS", "--cacert", "ca.pem", url + "/healthz"], cwd: dir)
        #expect(ok.status == 0 && ok.out.contains("ok"), "\(ok.out)")
        // Another CA: refused (curl exit 60: peer certificate cannot be authenticated).
        let wrong = try Self.sh(["curl", "-sS", "--cacert", "other-ca.pem", url + "/healthz"], cwd: dir)
        #expect(wrong.status == 60, "\(wrong.status) \(wrong.out)")
        // Plain HTTP to a TLS port gets no API answer.
        let plain = try Self.sh(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:\(server.port)/healthz"], cwd: dir)
        #expect(plain.status != 0 || !plain.out.contains("\"ok\""))
        // The parmana client verifies the server: with --cacert it reaches the API…
        let reached = try CLI.run(["override", "approve", "00000000-0000-4000-8000-000000000001", "--dir", ws, "--key", ws + "/keys/approver-demo.key",
                                   "--reason", "x", "--server", url, "--cacert", dir + "/ca.pem", "--json"])
        #expect((try? JSONParser().parse(reached.stdout))?["error"]?["code"] == "execution_not_found", "\(reached.stdout) \(reached.stderr)")
        // …and with the wrong CA, or the system's roots, it refuses the connection.
        for extra in [["--cacert", dir + "/other-ca.pem"], []] {
            let refused = try CLI.run(["override", "approve", "00000000-0000-4000-8000-000000000001", "--dir", ws, "--key", ws + "/keys/approver-demo.key",
                                       "--reason", "x", "--server", url, "--json"] + extra)
            #expect(refused.status == 2 && (try? JSONParser().parse(refused.stdout))?["error"]?["code"] == "io_error", "\(refused.stdout)")
        }
    }

    @Test func anExpiredCertificateIsRefusedByTheClient() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        try Self.certificates(in: dir)
        let server = try Server(["--dir", ws, "--tls-cert", dir + "/expired.pem", "--tls-key", dir + "/server.key"])
        defer { server.stop() }
        try server.waitUntilListening()
        let url = "https://127.0.0.1:\(server.port)"
        let curl = try Self.sh(["curl", "-sS", "--cacert", "ca.pem", url + "/healthz"], cwd: dir)
        #expect(curl.status == 60, "\(curl.out)")
        let client = try CLI.run(["override", "approve", "00000000-0000-4000-8000-000000000001", "--dir", ws, "--key", ws + "/keys/approver-demo.key",
                                  "--reason", "x", "--server", url, "--cacert", dir + "/ca.pem", "--json"])
        #expect(client.status == 2 && (try? JSONParser().parse(client.stdout))?["error"]?["code"] == "io_error", "\(client.stdout)")
        #expect(client.stdout.lowercased().contains("certificate") || client.stdout.lowercased().contains("expired"), "\(client.stdout)")
    }

    @Test func plainHTTPIsRefusedOffLoopback() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let refused = try CLI.run(["serve", "--dir", ws, "--listen", "0.0.0.0:\(Server.freePort())", "--json"])
        #expect(refused.status == 2 && (try? JSONParser().parse(refused.stdout))?["error"]?["code"] == "invalid_config", "\(refused.stdout)")
        #expect(refused.stdout.contains("allow_plaintext"))
        // Mismatched TLS settings are refused too.
        try Self.certificates(in: dir)
        let half = try CLI.run(["serve", "--dir", ws, "--tls-cert", dir + "/server.pem", "--json"])
        #expect(half.status == 2, "\(half.stdout)")
        let wrongKey = try CLI.run(["serve", "--dir", ws, "--tls-cert", dir + "/server.pem", "--tls-key", dir + "/ca.key", "--json"])
        #expect(wrongKey.status == 2 && wrongKey.stdout.contains("invalid_config"), "\(wrongKey.stdout)")
    }

    /// Concurrent `token` commands never lose an edit (config.json is edited under a
    /// lock), and a name cannot carry control characters into `token list` or the logs.
    @Test func concurrentTokenEditsAreAllKept() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let script = "for i in $(seq 1 12); do \"$0\" token add --dir \"$1\" --name par$i --roles read > /dev/null 2>&1 & done; wait"
        _ = try Self.sh(["bash", "-c", script, CLI.binary, ws], cwd: dir)
        let list = try CLI.run(["token", "list", "--dir", ws, "--json"])
        let names = try JSONParser().parse(list.stdout)["tokens"]!.arrayValue!.compactMap { $0["name"]?.stringValue }
        #expect(Set(names) == Set(["admin"] + (1...12).map { "par\($0)" }), "\(names)")
        for bad in ["a\nb", "a\tb", "a b", "", String(repeating: "x", count: 129)] {
            let r = try CLI.run(["token", "add", "--dir", ws, "--name", bad, "--roles", "read", "--json"])
            #expect(r.status != 0 && r.stdout.contains("invalid_request"), "\(bad.debugDescription)")
        }
    }

    @Test func tokensAreAddedListedAndRevokedOnALiveServer() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let server = try Server(["--dir", ws])
        defer { server.stop() }
        try server.waitUntilListening()
        let url = "http://127.0.0.1:\(server.port)"
        let added = try CLI.run(["token", "add", "--dir", ws, "--name", "ci-reader", "--roles", "read", "--json"])
        #expect(added.status == 0)
        let token = try #require(try JSONParser().parse(added.stdout)["token"]?.stringValue)
        // Only the hash is stored; list shows names, roles and times, never secrets.
        let config = String(decoding: try Data(contentsOf: URL(fileURLWithPath: ws + "/config.json")), as: UTF8.self)
        #expect(!config.contains(token) && config.contains(Hashing.sha256Hex(Array(token.utf8))))
        let list = try CLI.run(["token", "list", "--dir", ws, "--json"])
        #expect(list.status == 0 && !list.stdout.contains(token) && list.stdout.contains("ci-reader") && list.stdout.contains("created_at"))
        func status(_ t: String) throws -> String {
            try Self.sh(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(t)", url + "/v1/policies"], cwd: dir).out
        }
        func hup() { kill(server.process.processIdentifier, SIGHUP) }
        /// Bounded wait for the server to apply a reload.
        func until(_ expected: String, _ t: String) throws -> String {
            var last = ""
            for _ in 0..<100 {
                last = try status(t)
                if last == expected { break }
                usleep(50_000)
            }
            return last
        }
        #expect(try status(token) == "401", "not in force before SIGHUP")
        hup()
        #expect(try until("200", token) == "200")
        #expect(try CLI.run(["token", "revoke", "ci-reader", "--dir", ws]).status == 0)
        hup()
        #expect(try until("401", token) == "401", "a revoked token gets 401 from then on")
        // The admin token was never disturbed.
        let admin = String(decoding: try Data(contentsOf: URL(fileURLWithPath: ws + "/tokens/admin.token")), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try status(admin) == "200")
        // Refusals.
        #expect(try CLI.run(["token", "add", "--dir", ws, "--name", "x", "--roles", "root"]).status == 2)
        #expect(try CLI.run(["token", "revoke", "nobody", "--dir", ws]).status == 2)
        #expect(try CLI.run(["token", "revoke", "admin", "--dir", ws]).status == 2, "the last token is kept")
    }
}
