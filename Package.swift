// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Parmana",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ParmanaCore", targets: ["ParmanaCore"]),
        .library(name: "ParmanaRuntime", targets: ["ParmanaRuntime"]),
        .library(name: "ParmanaSQLite", targets: ["ParmanaSQLite"]),
        .library(name: "ParmanaRedis", targets: ["ParmanaRedis"]),
        .library(name: "ParmanaPostgres", targets: ["ParmanaPostgres"]),
        .executable(name: "parmana", targets: ["parmana"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Pure core: canonical JSON, hashing, keys, envelopes, verifier. Only swift-crypto.
        .target(
            name: "ParmanaCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The governance pipeline, ports and in-memory implementations.
        .target(name: "ParmanaRuntime", dependencies: ["ParmanaCore"]),
        // The embedded default store: SQLite through GRDB.
        .target(name: "ParmanaSQLite", dependencies: ["ParmanaCore", "ParmanaRuntime", .product(name: "GRDB", package: "GRDB.swift")]),
        // The shared replay store of topology A (SPEC §17.1): a small RESP2 client on SwiftNIO
        // and the ReplayStore adapter for Redis.
        .target(
            name: "ParmanaRedis",
            dependencies: [
                "ParmanaCore",
                "ParmanaRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The shared store of topology B (SPEC §17.2): PostgreSQL through postgres-nio.
        .target(
            name: "ParmanaPostgres",
            dependencies: [
                "ParmanaCore",
                "ParmanaRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // YAML as an authoring format for policies, converted to the JSON data model.
        .target(
            name: "ParmanaYAML",
            dependencies: ["ParmanaCore", .product(name: "Yams", package: "Yams")]
        ),
        // The governance API over HTTP (SPEC §15) on Hummingbird 2: auth, metrics, OpenAPI.
        .target(
            name: "ParmanaHTTP",
            dependencies: [
                "ParmanaCore",
                "ParmanaRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The API description and the approver console are part of the binary.
            resources: [
                .embedInCode("Resources/console/index.html"),
                .embedInCode("Resources/console/style.css"),
                .embedInCode("Resources/console/app.js"),
                .embedInCode("Resources/console/api.js"),
                .embedInCode("Resources/console/dom.js"),
                .embedInCode("Resources/console/jcs.js"),
                .embedInCode("Resources/console/crypto.js"),
                .embedInCode("Resources/console/verify.js"),
                .embedInCode("Resources/console/keys.js"),
                .embedInCode("Resources/console/selftest.html"),
                .embedInCode("Resources/console/selftest.js"),
                .embedInCode("Resources/openapi/parmana.openapi.json")
            ]
        ),
        // The composition root: workspace files, configuration, opening back ends by URL,
        // and the store lifecycle as services. Shared by the commands and `serve`.
        .target(
            name: "ParmanaWorkspace",
            dependencies: [
                "ParmanaCore",
                "ParmanaYAML",
                "ParmanaRuntime",
                "ParmanaSQLite",
                "ParmanaRedis",
                "ParmanaPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [
                .embedInCode("Resources/policies/claims.triage.json"),
                .embedInCode("Resources/policies/clinical.escalation.json"),
                .embedInCode("Resources/policies/payments.release.json"),
            ]
        ),
        // Command line: argument parsing, output, exit codes.
        .target(
            name: "ParmanaCLI",
            dependencies: [
                "ParmanaCore",
                "ParmanaYAML",
                "ParmanaRuntime",
                "ParmanaSQLite",
                "ParmanaWorkspace",
                "ParmanaHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(name: "parmana", dependencies: ["ParmanaCLI"]),
        // Emits Swift-signed artifacts for the independent Python verifier (interop/).
        .executableTarget(name: "parmana-interop", dependencies: ["ParmanaCore", "ParmanaYAML"]),
        // Shared test helpers and conformance suites.
        .target(name: "ParmanaTesting", dependencies: ["ParmanaCore", "ParmanaRuntime"]),
        .testTarget(name: "ParmanaCoreTests", dependencies: [
            "ParmanaCore", "ParmanaTesting", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "ParmanaYAMLTests", dependencies: ["ParmanaYAML", "ParmanaCore", "ParmanaTesting"]),
        .testTarget(name: "ParmanaRuntimeTests", dependencies: ["ParmanaRuntime", "ParmanaCore", "ParmanaTesting"]),
        .testTarget(name: "ParmanaSQLiteTests", dependencies: ["ParmanaSQLite", "ParmanaRuntime", "ParmanaCore", "ParmanaTesting"]),
        .testTarget(name: "ParmanaPostgresTests", dependencies: [
            "ParmanaPostgres", "ParmanaRuntime", "ParmanaCore", "ParmanaTesting", "ParmanaWorkspace",
            .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ParmanaHTTPTests", dependencies: [
            "ParmanaHTTP", "ParmanaRuntime", "ParmanaCore", "ParmanaSQLite", "ParmanaTesting", "ParmanaWorkspace",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "ParmanaRedisTests", dependencies: [
            "ParmanaRedis", "ParmanaRuntime", "ParmanaCore", "ParmanaSQLite", "ParmanaTesting", "ParmanaWorkspace", "ParmanaHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ParmanaCLITests", dependencies: ["ParmanaCLI", "ParmanaWorkspace", "ParmanaCore", "ParmanaRuntime", "ParmanaTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
