/// Settings the `parmana` executable reads from its environment and passes in.
/// Only `main` reads the environment; commands read this value.
public struct CLIContext: Sendable {
    /// `$PARMANA_DIR`, when set.
    public var defaultDirectory: String?

    public init(defaultDirectory: String? = nil) {
        self.defaultDirectory = defaultDirectory
    }

    @TaskLocal public static var current = CLIContext()
}
