import Foundation
import ParmanaCLI
import ParmanaWorkspace

// The only place that reads the environment.
let environment = ProcessInfo.processInfo.environment
// PARMANA_TEST_* and PARMANA_SERVICES_* belong to the test tooling (scripts/services.sh),
// not to the runtime; every other PARMANA_* variable must be a known setting.
let context = CLIContext(defaultDirectory: environment["PARMANA_DIR"],
                         overrides: environment.filter {
                             $0.key.hasPrefix("PARMANA_") && $0.key != "PARMANA_DIR" && !WorkspaceConfig.isScriptVariable($0.key)
                         })
await CLIContext.$current.withValue(context) {
    await ParmanaCommand.main()
}
