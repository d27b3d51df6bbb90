// The policy loader, JSON and YAML: every input is read both as a JSON document
// (strict parser) and as YAML (YAMLConverter), and each document that reads goes
// through `LoadedPolicy` (bare document or signed envelope) and `CompiledPolicy`.
// Properties, besides no crash:
// - when both readers accept the text, they give the same JSON data model (YAML is an
//   authoring format for exactly that model);
// - a policy that loads has hash = SHA-256(JCS(document)), loads again from its JCS
//   bytes with the same hash, and loads signed (policy key, requireSigned) with the
//   same hash.
import FuzzSupport
import ParmanaCore
import ParmanaYAMLSource

let trust = Harness.trust

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    Fuzz.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (i, p) in Harness.policies.enumerated() {
            seeds.append(("signed-\(i).json", CanonicalJSON.bytes(p.envelope!.json)))
        }
        return seeds
    }
    return 0
}

func load(_ doc: JSONValue, _ what: String) {
    let loaded: LoadedPolicy
    do throws(ParmanaError) {
        loaded = try LoadedPolicy(json: doc, trust: trust, requireSigned: false)
    } catch {
        return
    }
    let policy = loaded.policy
    let canonical = CanonicalJSON.bytes(policy.document)
    if Hashing.sha256Hex(canonical) != policy.hash {
        Fuzz.fail("\(what): policy hash \(policy.hash) is not SHA-256 of the JCS of its document")
    }
    do throws(ParmanaError) {
        let again = try Policy(json: try JSONParser().parse(canonical))
        if again.hash != policy.hash { Fuzz.fail("\(what): reloading the JCS bytes changes the hash") }
        let signed = LoadedPolicy.sign(policy, with: Harness.policyKey)
        let verified = try LoadedPolicy(json: try JSONParser().parse(CanonicalJSON.bytes(signed.json)), trust: trust, requireSigned: true)
        if verified.policy.hash != policy.hash { Fuzz.fail("\(what): signing changes the policy hash") }
    } catch {
        Fuzz.fail("\(what): a loaded policy does not load again from its own JCS or signed form: \(error)")
    }
    // Evaluation on an empty object must decide or refuse, never crash.
    _ = try? loaded.compiled.explain(.object(JSONObject()))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    let json = try? JSONParser().parse(bytes)
    if let json { load(json, "JSON") }
    // YAML reads text: invalid UTF-8 is replaced as a file read as String would be.
    let yaml = try? YAMLConverter.json(from: Array(bytes))
    if let yaml { load(yaml, "YAML") }
    if let json, let yaml, CanonicalJSON.bytes(json) != CanonicalJSON.bytes(yaml) {
        Fuzz.fail("JSON and YAML readers accept the same text with different results: JSON \(CanonicalJSON.string(json).prefix(200)) vs YAML \(CanonicalJSON.string(yaml).prefix(200))")
    }
    return 0
}
