import Foundation
import ParmanaCore
import ParmanaYAML

/// Reading policies and case files (JSON, or YAML by extension) for the command line.
public enum PolicyFiles {
    /// A JSON or YAML document (YAML for `.yaml` / `.yml`).
    public static func readDocument(_ path: String) throws(ParmanaError) -> JSONValue {
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            return try YAMLConverter.json(from: try FileIO.read(path), maxBytes: FileIO.policyFileMaxBytes)
        }
        return try FileIO.readJSON(path, maxBytes: FileIO.policyFileMaxBytes)
    }

    /// A policy from a signed envelope or a bare document, without signature checks
    /// (for validate, hash, test, evaluate). A signed one is verified when `trust` is given.
    public static func loadUnchecked(_ path: String, trust: TrustStore? = nil) throws(ParmanaError) -> LoadedPolicy {
        let doc = try readDocument(path)
        if doc["payload"] != nil, doc["signature"] != nil, trust == nil {
            let env = try Envelope(json: doc)
            return try LoadedPolicy(json: env.payload, trust: nil, requireSigned: false)
        }
        return try LoadedPolicy(json: doc, trust: trust, requireSigned: false)
    }

    /// The policy files installed in the workspace, in name order.
    public static func installed(_ ws: Workspace) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: ws.policies)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Every policy installed in the workspace, verified against its trust store.
    public static func registry(_ ws: Workspace, trust: TrustStore, requireSigned: Bool = true) throws(ParmanaError) -> PolicyRegistry {
        var reg = PolicyRegistry()
        for f in installed(ws) {
            do {
                try reg.add(try LoadedPolicy(json: try FileIO.readJSON(ws.policies + "/" + f, maxBytes: FileIO.policyFileMaxBytes), trust: trust, requireSigned: requireSigned))
            } catch {
                throw ParmanaError(error.code, "\(ws.policies)/\(f): \(error.message)", details: error.details)
            }
        }
        return reg
    }

    /// The installed file name of a policy.
    public static func fileName(_ p: Policy) -> String { "\(p.policyID)@\(p.version.text).json" }
}
