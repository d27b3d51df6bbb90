// Signal binding and evaluation (`CompiledPolicy.evaluate` / `explain`).
// Input: either `K signals` (first byte K, never NUL, picks example policy K mod n;
// the rest is the signals JSON) or `policy NUL signals` (a fuzzed policy document and signals).
// Properties, besides no crash:
// - evaluate and explain agree (same decision, or the same error code);
// - the decision of signals equals the decision of their JCS bytes parsed again: the
//   runtime fingerprints JCS(signals) and the verifier re-evaluates exactly those
//   bytes, so a difference would make a correct attestation fail verification;
// - the deciding rule is a rule of the policy (or the default), and explain's trace
//   ends at it.
import FuzzSupport
import ParmanaCore

let compiled = Harness.policies.map(\.compiled)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    Fuzz.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (i, ex) in Harness.examples.enumerated() {
            for (j, s) in ex.cases.enumerated() {
                seeds.append(("case-\(i)-\(j).bin", [UInt8(Harness.examples.count + i)] + CanonicalJSON.bytes(s)))
            }
            if let first = ex.cases.first {
                seeds.append(("custom-\(i).bin", Fuzz.join([ex.bytes, CanonicalJSON.bytes(first)])))
            }
        }
        return seeds
    }
    return 0
}

func outcome(_ r: Result<Decision, ParmanaError>) -> String {
    switch r {
    case .success(let d): "\(d.action.rawValue) requires_override=\(d.requiresOverride) rule=\(d.ruleID) reason=\(d.reason)"
    case .failure(let e): "error \(e.code.rawValue)"
    }
}

func same(_ a: Result<Decision, ParmanaError>, _ b: Result<Decision, ParmanaError>) -> Bool {
    switch (a, b) {
    case (.success(let x), .success(let y)): x == y
    case (.failure(let x), .failure(let y)): x.code == y.code
    default: false
    }
}

func check(_ policy: CompiledPolicy, _ signals: JSONValue) {
    let evaluated: Result<Decision, ParmanaError>
    do throws(ParmanaError) { evaluated = .success(try policy.evaluate(signals)) } catch { evaluated = .failure(error) }
    let explained: Result<Decision, ParmanaError>
    var trace: Explanation?
    do throws(ParmanaError) {
        let (d, e) = try policy.explain(signals)
        explained = .success(d)
        trace = e
    } catch { explained = .failure(error) }
    if !same(evaluated, explained) {
        Fuzz.fail("\(policy.policy.policyID): evaluate gives \(outcome(evaluated)), explain gives \(outcome(explained))")
    }
    let canonical = CanonicalJSON.bytes(signals)
    let reparsed: Result<Decision, ParmanaError>
    do throws(ParmanaError) { reparsed = .success(try policy.evaluate(try JSONParser().parse(canonical))) } catch { reparsed = .failure(error) }
    if !same(evaluated, reparsed) {
        Fuzz.fail("\(policy.policy.policyID): signals decide \(outcome(evaluated)), their JCS bytes decide \(outcome(reparsed))")
    }
    if case .success(let d) = evaluated {
        let ids = policy.policy.rules.map(\.id)
        if !ids.contains(d.ruleID) && d.ruleID != "default" {
            Fuzz.fail("\(policy.policy.policyID): deciding rule \(d.ruleID) is not a rule of the policy")
        }
        _ = trace?.json
        _ = d.json
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvaluate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    guard let first = bytes.first else { return 0 }
    let parts = Fuzz.parts(bytes)
    if parts.count >= 2 {
        guard let doc = try? JSONParser().parse(parts[0]), let policy = try? Policy(json: doc),
              let signals = try? JSONParser().parse(parts[1]) else { return 0 }
        check(CompiledPolicy(policy), signals)
    } else {
        guard let signals = try? JSONParser().parse(bytes.dropFirst()) else { return 0 }
        check(compiled[Int(first) % compiled.count], signals)
    }
    return 0
}
