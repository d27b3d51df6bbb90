/// The fixed workspace layout (SPEC §14).
struct Workspace {
    let root: String

    /// `--dir`, else `$PARMANA_DIR`, else `./.parmana`.
    static func path(_ dir: String?) -> Workspace {
        Workspace(root: dir ?? CLIContext.current.defaultDirectory ?? ".parmana")
    }

    var config: String { root + "/config.json" }
    var trust: String { root + "/trust.json" }
    var keys: String { root + "/keys" }
    var tokens: String { root + "/tokens" }
    var policies: String { root + "/policies" }
    var data: String { root + "/data" }
}
