/// The fixed workspace layout (SPEC §14).
public struct Workspace: Sendable {
    public let root: String
    public init(root: String) { self.root = root }

    /// `--dir`, else `$PARMANA_DIR`, else `./.parmana`.
    public static func path(_ dir: String?) -> Workspace {
        Workspace(root: dir ?? CLIContext.current.defaultDirectory ?? ".parmana")
    }

    public var config: String { root + "/config.json" }
    public var trust: String { root + "/trust.json" }
    public var keys: String { root + "/keys" }
    public var tokens: String { root + "/tokens" }
    public var policies: String { root + "/policies" }
    public var data: String { root + "/data" }
}
