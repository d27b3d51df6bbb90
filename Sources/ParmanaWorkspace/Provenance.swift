import Foundation
import ParmanaCore

/// This binary's identity (SPEC §9): the executable hash is taken once, at start-up.
public enum Provenance {
    /// sha256 of the running executable (`/proc/self/exe`).
    public static let executableSHA256: String = {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard let data = FileManager.default.contents(atPath: path) else { return String(repeating: "0", count: 64) }
        return Hashing.sha256Hex(Array(data))
    }()

    /// The manifest of this binary for an attestation key.
    public static func manifest(keyID: String) -> RuntimeManifest {
        RuntimeManifest(version: ParmanaVersion.string, executableSHA256: executableSHA256, keyID: keyID)
    }
}

/// This build's version.
public enum ParmanaVersion {
    public static let string = "0.2.0"
}
