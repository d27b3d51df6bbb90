// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so the main build and tests stay lean.
// Run: cd Benchmarks && swift package benchmark   (see BENCHMARKS.md)
let package = Package(
    name: "ParmanaBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Parmana", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "ParmanaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ParmanaCore", package: "Parmana"),
                .product(name: "ParmanaRuntime", package: "Parmana"),
                .product(name: "ParmanaSQLite", package: "Parmana"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/ParmanaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
