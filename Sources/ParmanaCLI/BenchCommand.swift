import ArgumentParser
import ParmanaCore
import ParmanaWorkspace
import ParmanaRuntime

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure durable decision throughput in process (the baseline of scripts/load-test.sh).",
        subcommands: [Decide.self])

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Concurrent governed decisions with unique signals against the workspace's store, for a fixed time.",
            discussion: "Every decision is real: signed, consumed, logged and durable. Use a scratch workspace.")
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "Concurrent callers.") var concurrency = 64
        @Option(name: .long, help: "Seconds to run.") var seconds = 10
        @Option(name: .long, help: "Prefix of the payment ids (keep runs on one workspace distinct).") var prefix = "bench"
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                guard concurrency > 0, seconds > 0 else { throw ParmanaError(.invalidRequest, "--concurrency and --seconds must be positive") }
                let opened = try await WorkspaceRuntime.open(workspace.path)
                let runtime = opened.runtime
                if !common.json { FileIO.writeStderr("… \(concurrency) callers for \(seconds) s") }
                let clock = ContinuousClock()
                let start = clock.now
                let deadline = start + .seconds(seconds)
                let prefix = prefix
                let (count, failures) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for caller in 0..<concurrency {
                        group.addTask {
                            var n = 0, failed = 0
                            while clock.now < deadline {
                                let signals: JSONValue = [
                                    "payment_id": .string("\(prefix)_\(caller)_\(n)"), "amount": .number(Double(10 + n % 1000)),
                                    "currency": "EUR", "kyc_verified": true,
                                ]
                                do { _ = try await runtime.decide(policyID: "payments.release", signals: signals) } catch { failed += 1 }
                                n += 1
                            }
                            return (n - failed, failed)
                        }
                    }
                    var total = (0, 0)
                    for try await r in group { total = (total.0 + r.0, total.1 + r.1) }
                    return total
                }
                let elapsed = clock.now - start
                await runtime.store.close()
                let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let rate = Double(count) / secs
                if common.json {
                    printJSON(["decisions": .number(Double(count)), "failures": .number(Double(failures)), "seconds": .number(secs),
                               "decisions_per_second": .number(rate.rounded()), "concurrency": .number(Double(concurrency))])
                } else {
                    printLine("\(count) durable decisions in \(String(format: "%.1f", secs)) s: \(Int(rate)) decisions/s (\(failures) failures)")
                }
            }
        }
    }
}
