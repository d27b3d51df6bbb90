// swift-tools-version:6.1
// libFuzzer targets for Parmana's parsers and verifiers (issue 13): a separate package,
// so the product's build never sees sanitizer flags. docs/fuzzing.md; run scripts/fuzz.sh.
//
// Each executable exports LLVMFuzzerTestOneInput and has no main: linked with
// -sanitize=fuzzer, libFuzzer's main drives it. Build:
//   swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
//     --sanitize=fuzzer --sanitize=address
import PackageDescription

let core = Target.Dependency.product(name: "ParmanaCore", package: "Parmana")
let runtime = Target.Dependency.product(name: "ParmanaRuntime", package: "Parmana")

let package = Package(
    name: "ParmanaFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Parmana", path: ".."),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [core, runtime]),
        // ParmanaYAML is not a product of the main package, so its sources are compiled
        // here once more under another module name (Sources/ParmanaYAMLSource is a
        // symbolic link to ../../Sources/ParmanaYAML): the same code, not a copy.
        .target(name: "ParmanaYAMLSource", dependencies: [core, .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "fuzz-json", dependencies: ["FuzzSupport", core]),
        .executableTarget(name: "fuzz-policy", dependencies: ["FuzzSupport", "ParmanaYAMLSource", core]),
        .executableTarget(name: "fuzz-evaluate", dependencies: ["FuzzSupport", core]),
        .executableTarget(name: "fuzz-verify", dependencies: ["FuzzSupport", core]),
        .executableTarget(name: "fuzz-proof", dependencies: ["FuzzSupport", core]),
        .executableTarget(name: "fuzz-http", dependencies: ["FuzzSupport", core, runtime]),
    ],
    swiftLanguageModes: [.v6]
)
