/// The example policies `parmana init` signs and installs: the files of
/// `examples/policies/`, embedded in the binary as SwiftPM resources.
public enum ExamplePolicies {
    public static let all: [(name: String, json: String)] = [
        ("claims.triage", String(decoding: PackageResources.claims_triage_json, as: UTF8.self)),
        ("clinical.escalation", String(decoding: PackageResources.clinical_escalation_json, as: UTF8.self)),
        ("payments.release", String(decoding: PackageResources.payments_release_json, as: UTF8.self)),
    ]
}
