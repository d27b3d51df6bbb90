import Foundation
import ParmanaCLI

// The only place that reads the environment.
let context = CLIContext(defaultDirectory: ProcessInfo.processInfo.environment["PARMANA_DIR"])
await CLIContext.$current.withValue(context) {
    await ParmanaCommand.main()
}
