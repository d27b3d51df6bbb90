/// Settings the `parmana` executable reads from its environment and passes in.
/// Only `main` reads the environment; commands read this value.
public struct CLIContext: Sendable {
    /// `$PARMANA_DIR`, when set.
    public var defaultDirectory: String?
    /// `PARMANA_*` variables that override `config.json` (docs/configuration.md).
    public var overrides: [String: String]

    public init(defaultDirectory: String? = nil, overrides: [String: String] = [:]) {
        self.defaultDirectory = defaultDirectory
        self.overrides = overrides
    }

    @TaskLocal public static var current = CLIContext()
}
