import Foundation
import ParmanaCLI

// The only place that reads the environment.
let context = CLIContext(defaultDirectory: ProcessInfo.processInfo.environment["PARMANA_DIR"])
CLIContext.$current.withValue(context) {
    ParmanaCommand.main()
}
