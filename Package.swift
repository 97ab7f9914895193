// swift-tools-version: 6.0
import PackageDescription

/// SpasmWatch: separate executables for ingestion, detection, storage and notification,
/// talking over one ZeroMQ broker with one shared Codable schema. See docs/architecture.md.
let package = Package(
    name: "SpasmWatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spasmwatch-bus", targets: ["spasmwatch-bus"]),
        .executable(name: "spasmwatch-sensor", targets: ["spasmwatch-sensor"]),
        .executable(name: "spasmwatch-manual", targets: ["spasmwatch-manual"]),
        .executable(name: "spasmwatch-detect", targets: ["spasmwatch-detect"]),
        .executable(name: "spasmwatch-store", targets: ["spasmwatch-store"]),
        .executable(name: "spasmwatch-notify", targets: ["spasmwatch-notify"]),
        .executable(name: "spasmwatch-mqtt", targets: ["spasmwatch-mqtt"]),
        .executable(name: "spasmwatch-metrics", targets: ["spasmwatch-metrics"]),
        .executable(name: "spasmwatch", targets: ["spasmwatch"]),
        .executable(name: "spasmwatch-bench", targets: ["spasmwatch-bench"]),
        .library(name: "SpasmBus", targets: ["SpasmBus"]),
        .library(name: "SpasmSchema", targets: ["SpasmSchema"]),
        .library(name: "SpasmProducer", targets: ["SpasmProducer", "SpasmSignal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Latency percentiles in the benchmarks only (spasmwatch-bench).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // MARK: Shared libraries, split by concern
        .systemLibrary(name: "CZeroMQ", path: "Shared/CZeroMQ"),
        .target(name: "SpasmErrors", path: "Shared/Errors"),
        .target(name: "SpasmSync", dependencies: ["SpasmErrors"], path: "Shared/Sync"),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "SpasmErrors", "SpasmSync"], path: "Shared/ZeroMQ"),
        .systemLibrary(name: "CMosquitto", path: "Shared/CMosquitto"),
        .target(name: "SpasmMQTT", dependencies: ["CMosquitto", "SpasmErrors", "SpasmSync", "SpasmBus"], path: "Shared/MQTT"),
        .target(name: "SpasmVocabulary", path: "Shared/Vocabulary"),
        .target(name: "SpasmSchema", dependencies: ["SpasmVocabulary", "SpasmErrors", "SpasmSync"], path: "Shared/Schema"),
        // The diary's rules (validation, the JSON API's parser): just above Schema, without GRDB,
        // so the config's HomeClock, the store's re-checks and the fuzzer use them (docs/architecture.md).
        .target(name: "SpasmDiaryRules", dependencies: ["SpasmSchema", "SpasmErrors"], path: "Shared/Diary/Rules"),
        .target(name: "SpasmConfig", dependencies: ["SpasmSchema", "SpasmDiaryRules", "SpasmErrors", "SpasmSync"], path: "Shared/Config"),
        .target(name: "SpasmDatabase", dependencies: ["SpasmErrors", .product(name: "GRDB", package: "GRDB.swift")], path: "Shared/Database"),
        .target(
            name: "SpasmBus",
            dependencies: ["ZeroMQ", "SpasmSchema", "SpasmConfig", .product(name: "Logging", package: "swift-log")],
            path: "Shared/Bus"),
        .target(
            name: "SpasmReliability",
            dependencies: [
                "SpasmBus", "SpasmRuntime", "SpasmSchema", "SpasmDatabase", "ZeroMQ", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Reliability"),
        .target(
            name: "SpasmRuntime",
            dependencies: [
                "SpasmBus", "SpasmConfig", "SpasmSchema",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/Runtime"),
        .target(
            name: "SpasmWeb",
            dependencies: [
                "SpasmErrors", "SpasmSync", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
            ], path: "Shared/Web"),
        .target(
            name: "SpasmTLS",
            dependencies: [
                "SpasmConfig", "SpasmWeb", .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/TLS"),
        .systemLibrary(name: "CQREncode", path: "Shared/CQREncode"),
        .target(name: "SpasmQR", dependencies: ["CQREncode"], path: "Shared/QR"),
        .target(name: "SpasmSecurity", dependencies: ["SpasmErrors", .product(name: "Crypto", package: "swift-crypto")], path: "Shared/Security"),
        .testTarget(name: "SecurityTests", dependencies: ["SpasmSecurity", "SpasmErrors"], path: "Tests/SecurityTests"),
        .target(name: "SpasmSignal", path: "Shared/Signal"),
        .target(name: "SpasmResources", dependencies: ["SpasmErrors"], path: "Shared/Resources"),
        .target(name: "SpasmProducer", dependencies: ["SpasmBus", "SpasmSchema", "ZeroMQ"], path: "Shared/Producer"),
        .target(
            name: "SpasmDiary",
            dependencies: [
                "SpasmSchema", "SpasmDiaryRules", "SpasmConfig", "SpasmReliability", "SpasmDatabase", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Shared/Diary/Journal"),
        .target(
            name: "SpasmStore",
            dependencies: [
                "SpasmBus", "SpasmSchema", "SpasmDiaryRules", "SpasmDatabase", "SpasmResources", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Store", resources: [.copy("Report/Templates")]),
        .target(name: "SpasmIngestion", dependencies: ["SpasmSchema", "SpasmErrors"], path: "Shared/Ingestion"),
        .target(name: "SpasmDetection", dependencies: ["SpasmVocabulary", "SpasmErrors", "SpasmSync", "SpasmSignal"], path: "Shared/Detection"),
        .target(name: "SpasmSimulation", dependencies: ["SpasmVocabulary", "SpasmSync", "SpasmSignal"], path: "Shared/Simulation"),

        // MARK: Services, one executable each
        .executableTarget(name: "spasmwatch-bus", dependencies: ["SpasmRuntime"], path: "Services/Bus"),
        .executableTarget(
            name: "spasmwatch-sensor",
            dependencies: [
                "SpasmRuntime", "SpasmIngestion", "SpasmSimulation", "SpasmDetection", "SpasmProducer", "SpasmWeb", "SpasmTLS", "SpasmDatabase",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Sensor"),
        .executableTarget(
            name: "spasmwatch-manual",
            dependencies: [
                "SpasmRuntime", "SpasmReliability", "SpasmDiary", "SpasmDiaryRules", "SpasmSecurity", "SpasmWeb", "SpasmTLS", "SpasmQR",
                "SpasmProducer", "SpasmSignal", "SpasmResources",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            path: "Services/Manual", resources: [.copy("Pages")]),
        .executableTarget(
            name: "spasmwatch-detect",
            dependencies: [
                "SpasmRuntime", "SpasmReliability", "SpasmDetection", "SpasmSimulation", "SpasmDatabase",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Services/Detect"),
        .executableTarget(
            name: "spasmwatch-store",
            dependencies: [
                "SpasmRuntime", "SpasmReliability", "SpasmStore", "ZeroMQ",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Services/Store"),
        .target(
            name: "SpasmNotify",
            dependencies: [
                "SpasmBus", "SpasmConfig", "SpasmRuntime", "SpasmSchema", "SpasmSecurity", "SpasmDatabase", "ZeroMQ",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/Notify/Core"),
        .executableTarget(
            name: "spasmwatch-notify",
            dependencies: ["SpasmRuntime", "SpasmReliability", "SpasmNotify", "SpasmSecurity"],
            path: "Services/Notify/Service"),
        .target(
            name: "SpasmHomeAssistant", dependencies: ["SpasmConfig", "SpasmSchema", "SpasmVocabulary", "SpasmIngestion", "SpasmSync"],
            path: "Services/MQTT/Core"),
        .executableTarget(
            name: "spasmwatch-mqtt",
            dependencies: [
                "SpasmRuntime", "SpasmReliability", "SpasmMQTT", "SpasmHomeAssistant", "SpasmBus", "SpasmConfig", "SpasmSchema", "SpasmErrors",
                "SpasmSync", "SpasmProducer", "SpasmIngestion", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/MQTT/Service"),
        // The Prometheus exporter: heartbeats in, /metrics out; the only user of swift-metrics.
        .executableTarget(
            name: "spasmwatch-metrics",
            dependencies: [
                "SpasmRuntime", "SpasmBus", "SpasmConfig", "SpasmErrors", "SpasmSchema", "SpasmSync", "SpasmIngestion", "SpasmNotify",
                "SpasmWeb", "SpasmTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Services/Metrics"),
        .executableTarget(
            name: "spasmwatch",
            dependencies: [
                "SpasmRuntime", "SpasmReliability", "SpasmDiary", "SpasmDiaryRules", "SpasmStore", "SpasmNotify", "SpasmTLS", "SpasmDatabase",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Services/CLI"),

        // MARK: Benchmarks, not part of the product (never installed)
        .executableTarget(
            name: "spasmwatch-bench",
            dependencies: [
                "SpasmRuntime", "SpasmReliability", "SpasmStore", "SpasmIngestion", "SpasmProducer", "SpasmDetection",
                "SpasmSimulation", "SpasmSync", "ZeroMQ", .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Services/Bench",
            exclude: ["Reference"],
            resources: [.copy("Scripts")]),
        // The C references the benchmarks measure against (raw libzmq, Mosquitto's client
        // library), and the guard every benchmark child is started through.
        .executableTarget(
            name: "spasmwatch-bench-ref",
            path: "Services/Bench/Reference",
            linkerSettings: [.linkedLibrary("zmq"), .linkedLibrary("mosquitto")]),

        // MARK: Examples (docs/custom-alert-consumer.md)
        .executableTarget(
            name: "alert-consumer-example",
            dependencies: ["SpasmBus", "SpasmConfig", "SpasmSchema", "ZeroMQ"],
            path: "examples/swift/AlertConsumer"),

        // MARK: Tests
        .target(
            name: "SpasmTestSupport",
            dependencies: [
                "SpasmBus", "ZeroMQ", "SpasmSync", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Tests/Support"),
        .target(
            name: "SpasmFuzzChecks", dependencies: ["SpasmErrors", "SpasmSchema", "SpasmDiaryRules", "SpasmIngestion"], path: "Tests/Fuzz/Checks"),
        .testTarget(
            name: "FuzzTests", dependencies: ["SpasmFuzzChecks", "SpasmIngestion", "SpasmSchema", "SpasmDiaryRules"], path: "Tests/FuzzTests"),
        .testTarget(
            name: "SchemaTests", dependencies: ["SpasmSchema", "SpasmDiaryRules"], path: "Tests/SchemaTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "MQTTTests",
            dependencies: [
                "SpasmMQTT", "SpasmHomeAssistant", "SpasmConfig", "SpasmSchema", "SpasmVocabulary", "SpasmErrors", "SpasmSync", "SpasmTestSupport",
            ],
            path: "Tests/MQTTTests"),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "SpasmBus", "SpasmConfig", "SpasmTestSupport"], path: "Tests/ZeroMQTests"),
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["SpasmReliability", "SpasmBus", "SpasmDatabase", "SpasmTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/ReliabilityTests"),
        .testTarget(
            name: "SensorTests",
            dependencies: [
                "spasmwatch-sensor", "SpasmIngestion", "SpasmErrors", "SpasmBus", "SpasmConfig", "SpasmProducer", "SpasmSignal", "SpasmTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/SensorTests"),
        .testTarget(
            name: "DetectServiceTests",
            dependencies: ["spasmwatch-detect", "SpasmSchema", "SpasmTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/DetectServiceTests"),
        .testTarget(
            name: "CLITests", dependencies: ["spasmwatch", "SpasmSchema", "SpasmConfig", "SpasmDiaryRules"], path: "Tests/CLITests"),
        .testTarget(
            name: "TLSTests",
            dependencies: [
                "SpasmTLS", "SpasmSync", .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Tests/TLSTests"),
        .testTarget(name: "DetectionTests", dependencies: ["SpasmDetection"], path: "Tests/DetectionTests"),
        .testTarget(name: "BenchTests", dependencies: ["spasmwatch-bench"], path: "Tests/BenchTests"),
        .testTarget(name: "SimulationTests", dependencies: ["SpasmSimulation", "SpasmDetection"], path: "Tests/SimulationTests"),
        .testTarget(name: "ConfigTests", dependencies: ["SpasmConfig"], path: "Tests/ConfigTests"),
        .testTarget(
            name: "DiaryTests",
            dependencies: [
                "SpasmDiary", "SpasmDiaryRules", "SpasmSchema", "SpasmConfig", "SpasmReliability", .product(name: "GRDB", package: "GRDB.swift"),
            ], path: "Tests/DiaryTests"),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "SpasmStore", "SpasmBus", "SpasmSchema", "SpasmTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/StoreTests"),
        .testTarget(
            name: "NotifyTests",
            dependencies: [
                "SpasmNotify", "SpasmSchema", "SpasmConfig", "SpasmSecurity", "SpasmTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ], path: "Tests/NotifyTests"),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SpasmBus", "SpasmConfig", "SpasmSchema", "SpasmProducer", "SpasmReliability", "SpasmRuntime",
                "SpasmStore", "SpasmTestSupport", "SpasmDetection", "ZeroMQ", "SpasmMQTT", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/IntegrationTests"),
    ],
    swiftLanguageModes: [.v6]
)
