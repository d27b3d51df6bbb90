import Foundation
import ParmanaCLI
import ParmanaWorkspace

// The only place that reads the environment.
let environment = ProcessInfo.processInfo.environment
let context = CLIContext(defaultDirectory: environment["PARMANA_DIR"],
                         overrides: environment.filter {
                             $0.key.hasPrefix("PARMANA_") && $0.key != "PARMANA_DIR" && !WorkspaceConfig.isScriptVariable($0.key)
                         })
await CLIContext.$current.withValue(context) {
    await ParmanaCommand.main()
}
