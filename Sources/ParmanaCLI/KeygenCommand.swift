import ArgumentParser
import Foundation
import ParmanaCore
import ParmanaWorkspace
import ParmanaRuntime

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an Ed25519 private key file (mode 0600) and its trust-store entry F.pub.json.",
        discussion: """
            F.pub.json is exactly a trust-store key entry (SPEC §10); add it with \
            'parmana trust add-key' or paste it into trust.json. Existing files are never overwritten.
            """)

    @Option(name: .long, help: "Role(s), comma-separated: attestation, approver, policy, checkpoint.")
    var role: String
    @Option(name: .customLong("approver-id"), help: "The approver identity (required for the approver role).")
    var approverID: String?
    @Option(name: .long, help: "Where to write the private key file.")
    var out: String
    @Option(name: .customLong("valid-from"), help: "Start of the key's validity window (default: now).")
    var validFrom: String?
    @Option(name: .long, help: "A label for the trust-store entry.")
    var label: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        try guarded(json: common.json) {
            let roles = try KeygenCommand.parseRoles(role)
            if roles.contains(.approver), approverID == nil {
                throw ParmanaError(.invalidRequest, "the approver role needs --approver-id")
            }
            let from = try validFrom.map { s throws(ParmanaError) in
                guard let t = Timestamp(s) else { throw ParmanaError(.invalidRequest, "--valid-from must look like 2026-01-01T00:00:00.000Z") }
                return t
            } ?? SystemClock().now()
            let key = SigningKey(roles: roles, approverID: approverID)
            let entry = TrustedKey(publicKey: key.publicKey, roles: roles, validFrom: from, label: label,
                                   approverID: roles.contains(.approver) ? approverID : nil)
            try FileIO.write(KeyFile.encode(key), to: out, mode: 0o600, overwrite: false)
            try FileIO.write(PrettyJSON.bytes(entry.json), to: out + ".pub.json", mode: 0o644, overwrite: false)
            if common.json {
                printJSON(["key_id": .string(key.keyID), "private_key_file": .string(out), "public_key_file": .string(out + ".pub.json")])
            } else {
                printLine("wrote \(out) (private, mode 0600) and \(out).pub.json; key_id \(key.keyID)")
            }
        }
    }

    static func parseRoles(_ text: String) throws(ParmanaError) -> [Role] {
        var roles: [Role] = []
        for part in text.split(separator: ",") {
            guard let r = Role(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw ParmanaError(.invalidRequest, "unknown role '\(part)'; expected attestation, approver, policy or checkpoint")
            }
            if !roles.contains(r) { roles.append(r) }
        }
        guard !roles.isEmpty else { throw ParmanaError(.invalidRequest, "at least one role is required") }
        return roles
    }
}

