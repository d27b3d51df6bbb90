import ArgumentParser
import ParmanaCore
import ParmanaWorkspace

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Dry run: the decision and its explanation. Nothing is signed, consumed or logged.")

    @Option(name: .long, help: "Policy file (JSON, YAML or signed envelope).") var policy: String
    @Option(name: .long, help: "Signals file, or '-' for standard input.") var signals: String
    @OptionGroup var common: CommonOptions

    func run() throws {
        try guarded(json: common.json) {
            let compiled = try PolicyFiles.loadUnchecked(policy).compiled
            let s = signals == "-" ? try JSONParser().parse(try FileIO.read(nil)) : try PolicyFiles.readDocument(signals)
            let (decision, explanation) = try compiled.explain(s)
            if common.json {
                printJSON(["decision": decision.json, "explanation": explanation.json,
                           "policy": compiled.policy.reference.json, "execution_fingerprint": .string(Hashing.fingerprint(s))])
            } else {
                let p = compiled.policy
                printLine("decision: \(decision.action.rawValue)\(decision.requiresOverride ? " (requires override by a human)" : "") — reason \(decision.reason), rule \(decision.ruleID)")
                printLine("policy: \(p.policyID) \(p.version.text) (\(p.hash))")
                printLine("explanation:")
                printLine(explanation.text)
            }
        }
    }
}
