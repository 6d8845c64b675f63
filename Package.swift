// swift-tools-version:6.0
// Strata: Thanos-style long-term storage for Prometheus. Module layout: see docs/architecture.md.
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        .executable(name: "strata-sidecar", targets: ["strata-sidecar"]),
        .executable(name: "strata-query", targets: ["strata-query"]),
        .executable(name: "strata-frontend", targets: ["strata-frontend"]),
        .executable(name: "strata-store", targets: ["strata-store"]),
        .executable(name: "strata-compact", targets: ["strata-compact"]),
        .executable(name: "strata-rule", targets: ["strata-rule"]),
        .executable(name: "strata-receive", targets: ["strata-receive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // RE2 behind a tiny extern "C" shim: linear-time regex matching with Go/Prometheus syntax.
        .target(
            name: "CRE2",
            path: "Sources/CRE2",
            linkerSettings: [.linkedLibrary("re2")]
        ),
        // libsnappy (block format) for Prometheus remote read.
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        // zlib: gzip for HTTP answers when the client asks (as Prometheus and Thanos answer).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "StrataCore",
            dependencies: [
                "CRE2",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // libxcrypt's crypt_rn (bcrypt) for the web config's basic-auth users.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        // TLS and authentication settings shared by every service: server TLS with certificate
        // reload, client TLS, Prometheus's web config (basic auth, headers), http_client_config
        // and the Thanos gRPC TLS flags.
        .target(
            name: "StrataSecurity",
            dependencies: [
                "StrataCore", "CCrypt",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // CRC-32C with the CPU's instruction where there is one (chunk and index checksums).
        .target(name: "CCRC32C", path: "Sources/CCRC32C"),
        // Blocks, chunks and the head with its write-ahead log (snappy: compressed WAL records;
        // Metrics: the head's rejection and WAL counters).
        // Release builds skip dynamic exclusivity checks: on the head's append path (series
        // objects' fields, accessed per sample) they cost as much as the dictionary lookup
        // they guard. Debug builds, which the tests run, keep them.
        .target(name: "StrataTSDB", dependencies: ["StrataCore", "CCRC32C", "CSnappy",
                                                   .product(name: "Metrics", package: "swift-metrics")],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Thanos Store API / info API and Prometheus remote-read messages (generated code in
        // Generated/, regenerated by scripts/gen-proto.sh) and the StoreClient seam.
        .target(
            name: "StrataStoreAPI",
            dependencies: [
                "StrataCore", "StrataTSDB", "StrataSecurity",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            // The generated messages keep their fields in class storage, and every field read
            // was a dynamic exclusivity check (~5% of a store's CPU). Release builds skip them;
            // debug builds, which the tests run, keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Clients for cache servers (Redis RESP, memcached text protocol) with pooled, timed
        // connections; shared by the store gateway's index cache and the frontend's results cache.
        .target(
            name: "StrataCache",
            dependencies: ["StrataCore", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        // DNS service discovery (Thanos's dns+/dnssrv+/dnssrvnoa+ addresses): our own small DNS
        // client (RFC 1035 over UDP/TCP with NIO) and the provider that keeps the last answer.
        .target(
            name: "StrataDiscovery",
            dependencies: [
                "StrataCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Alerts to Alertmanager's API v2 as Thanos Ruler sends them: queue, label drop, DNS-discovered Alertmanagers, retries.
        .target(
            name: "StrataNotify",
            dependencies: [
                "StrataCore", "StrataDiscovery", "StrataSecurity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Store gateway: block selection and serving over the Store API.
        .target(
            name: "StrataStore",
            dependencies: [
                "StrataCore", "StrataSecurity", "StrataTSDB", "StrataStoreAPI", "StrataObjStore", "StrataBucket", "StrataServer", "StrataCache",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Bucket protocol, filesystem and S3 (SigV4) buckets, retries, Thanos objstore.yml.
        .target(
            name: "StrataObjStore",
            dependencies: [
                "StrataCore", "StrataSecurity",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Blocks in a bucket: upload in Thanos order, download, meta.json fetching, markers,
        // deletion. Shared by the store gateway, compactor, sidecar and tools.
        .target(
            name: "StrataBucket",
            dependencies: [
                "StrataCore", "StrataTSDB", "StrataObjStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Ruler: rule files, group evaluation through the queriers, alert state, the head the
        // results go to, and the `strata-rule` service (Store and Rules APIs, HTTP API).
        // Prometheus remote write on the wire: 1.0 and 2.0 requests (snappy, protobuf) and
        // Thanos's forwarded WriteRequest, decoded into WriteBatch and encoded back.
        .target(
            name: "StrataRemoteWrite",
            dependencies: ["StrataCore", "StrataTSDB"]
        ),
        // Receiver: remote write into per-tenant heads, the hashring with replication and
        // forwarding, limits, and the `strata-receive` service (Store API over the heads).
        .target(
            name: "StrataReceive",
            dependencies: [
                "StrataCore", "StrataTSDB", "StrataRemoteWrite", "StrataStore", "StrataStoreAPI", "StrataBucket", "StrataPromQL",
                "StrataObjStore", "StrataSecurity", "StrataServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "StrataRule",
            dependencies: [
                "StrataCore", "StrataTSDB", "StrataPromQL", "StrataQuery", "StrataStore", "StrataStoreAPI", "StrataBucket",
                "StrataObjStore", "StrataSecurity", "StrataServer", "StrataDiscovery", "StrataTemplate", "StrataNotify",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Compactor: bucket lock, planner, streaming compaction, downsampling, retention,
        // deletion and the pass/--wait service behind `strata-compact`.
        .target(
            name: "StrataCompact",
            dependencies: [
                "StrataCore", "StrataSecurity", "StrataTSDB", "StrataObjStore", "StrataBucket", "StrataServer", "StrataBucketWeb",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What every service runs besides its own job: the admin HTTP server (/metrics,
        // /-/healthy, /-/ready), the Prometheus metrics registry and signal-driven lifecycle.
        // Kept out of StrataCore so libraries and tools do not link a web server.
        .target(
            name: "StrataServer",
            dependencies: [
                "StrataCore", "StrataSecurity", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The bucket viewer (Thanos's bucket web UI): blocks grouped with their gaps, overlaps,
        // marks and partial uploads, one static page and /api/v1/blocks; served by
        // `strata bucket web` and on the compactor's HTTP port.
        .target(
            name: "StrataBucketWeb",
            dependencies: [
                "StrataCore", "StrataTSDB", "StrataObjStore", "StrataBucket", "StrataServer", "StrataSecurity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Sidecar: Prometheus client (HTTP API, remote read), the Store API over it and the
        // Targets, Metadata, Exemplars and Rules APIs over its HTTP API.
        .target(
            name: "StrataSidecar",
            dependencies: [
                "StrataCore", "StrataSecurity", "StrataTSDB", "StrataStoreAPI", "StrataObjStore", "StrataBucket", "StrataServer", "CSnappy",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // PromQL: lexer, parser, AST, engine, functions (Prometheus 2.42 semantics).
        .target(name: "StrataPromQL", dependencies: ["StrataCore", "CRE2"]),
        // Prometheus's alert/console template language: Go text/template and Prometheus's functions.
        .target(name: "StrataTemplate", dependencies: ["StrataCore"]),
        // Querier: endpoint set, fan-out, replica dedup, Prometheus HTTP API (with targets,
        // metadata, exemplars and rules of the whole fleet), web UI.
        .target(
            name: "StrataQuery",
            dependencies: [
                "StrataCore", "StrataSecurity", "StrataTSDB", "StrataStoreAPI", "StrataPromQL", "StrataServer", "StrataDiscovery",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Caching query frontend: align, split, results cache (in-memory, SQLite), proxy.
        .target(
            name: "StrataFrontend",
            dependencies: [
                "StrataCore", "StrataSecurity", "StrataPromQL", "StrataQuery", "StrataServer", "StrataDiscovery", "StrataCache", "CSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "StrataTools",
            dependencies: [
                "StrataCore", "StrataTSDB",
                "StrataObjStore",
                "StrataBucket",
                "StrataPromQL",
                "StrataQuery",
                "StrataStore",
                "StrataRule",
                "StrataRemoteWrite",
                "StrataBucketWeb", "StrataServer", "StrataSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `strata bench remote-write`: a real HTTP/1.1 keep-alive remote-write client.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "strata", dependencies: ["StrataTools", "StrataCore"]),
        .executableTarget(
            name: "strata-sidecar",
            dependencies: ["StrataStoreAPI", "StrataSidecar", "StrataQuery", "StrataObjStore", "StrataServer", "StrataSecurity", "StrataCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strata-rule",
            dependencies: ["StrataStoreAPI", "StrataRule", "StrataQuery", "StrataNotify", "StrataObjStore", "StrataServer", "StrataSecurity", "StrataCore", "StrataTSDB",
                           "StrataPromQL", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strata-receive",
            dependencies: ["StrataStoreAPI", "StrataReceive", "StrataQuery", "StrataObjStore", "StrataServer", "StrataSecurity", "StrataCore", "StrataTSDB",
                           "StrataPromQL", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strata-query",
            dependencies: ["StrataStoreAPI", "StrataQuery", "StrataPromQL", "StrataServer", "StrataSecurity", "StrataCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strata-frontend",
            dependencies: ["StrataFrontend", "StrataServer", "StrataSecurity", "StrataCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strata-store",
            dependencies: ["StrataStoreAPI", "StrataStore", "StrataBucket", "StrataQuery", "StrataObjStore", "StrataServer", "StrataSecurity", "StrataCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strata-compact",
            dependencies: ["StrataCompact", "StrataObjStore", "StrataServer", "StrataSecurity", "StrataCore",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Store gateway benchmarks for docs/benchmarks.md (run from a release build).
        .executableTarget(
            name: "strata-store-bench",
            dependencies: ["StrataStore", "StrataStoreAPI", "StrataObjStore", "StrataCore",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Helpers shared by the test targets (real tools on PATH, the built binary, scratch dirs).
        .target(name: "StrataTestSupport", dependencies: ["StrataCore", "StrataTSDB", "StrataObjStore", "StrataSecurity",
                                                   .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                   .product(name: "NIOCore", package: "swift-nio"),
                                                   .product(name: "NIOPosix", package: "swift-nio"),
                                                   .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore"]),
        // The HTTP server's pieces every service shares (gzip answers read back by GNU gzip).
        .testTarget(name: "StrataServerTests", dependencies: ["StrataServer", "StrataTestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        // TLS, mTLS, web config and basic auth against openssl-made certificates and Python grpcio.
        .testTarget(name: "StrataSecurityTests", dependencies: ["StrataSecurity", "StrataStoreAPI", "StrataStore", "StrataQuery", "StrataTSDB", "StrataCore",
                                                         "StrataTestSupport", .product(name: "Logging", package: "swift-log"),
                                                         .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .testTarget(name: "StrataDiscoveryTests", dependencies: ["StrataDiscovery", "StrataCore", "StrataTestSupport",
                                                          .product(name: "Logging", package: "swift-log"),
                                                          .product(name: "MetricsTestKit", package: "swift-metrics"),
                                                          .product(name: "NIOCore", package: "swift-nio"),
                                                          .product(name: "NIOPosix", package: "swift-nio")]),
        // The alert sender against a real Alertmanager 0.25, a misbehaving fake one and dnsmasq.
        .testTarget(name: "StrataNotifyTests", dependencies: ["StrataNotify", "StrataDiscovery", "StrataCore", "StrataTestSupport",
                                                       .product(name: "Logging", package: "swift-log"),
                                                       .product(name: "MetricsTestKit", package: "swift-metrics"),
                                                       .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                       .product(name: "NIOCore", package: "swift-nio"),
                                                       .product(name: "NIOPosix", package: "swift-nio"),
                                                       .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "StrataTSDBTests", dependencies: ["StrataTSDB", "StrataCore", "StrataTestSupport",
                                                     .product(name: "MetricsTestKit", package: "swift-metrics")]),
        .testTarget(
            name: "StrataStoreTests",
            dependencies: ["StrataStore", "StrataStoreAPI", "StrataTSDB", "StrataCore", "StrataTestSupport", "StrataCache",
                           "StrataObjStore", "StrataBucket", "StrataCompact",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "MetricsTestKit", package: "swift-metrics"),
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(name: "StrataCompactTests", dependencies: ["StrataCompact", "StrataTSDB", "StrataCore", "StrataObjStore", "StrataBucket", "StrataTestSupport",
                                                        .product(name: "MetricsTestKit", package: "swift-metrics")]),
        // The whole system, every component a real process, on moto S3.
        // StrataPromQL and Yams: MonitoringMixinTests parses deploy/monitoring's rules and queries.
        .testTarget(name: "StrataSystemTests", dependencies: ["StrataBucket", "StrataObjStore", "StrataTSDB", "StrataCore", "StrataTestSupport", "StrataRemoteWrite",
                                                       "StrataPromQL", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "StrataSidecarTests", dependencies: ["StrataSidecar", "StrataQuery", "StrataCompact", "StrataStoreAPI", "StrataObjStore", "StrataBucket", "StrataTSDB", "StrataCore", "StrataTestSupport",
                                                        .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "StrataReceiveTests", dependencies: ["StrataReceive", "StrataRemoteWrite", "StrataTSDB", "StrataCore", "StrataTestSupport",
                                                        .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "StrataRuleTests", dependencies: ["StrataRule", "StrataTemplate", "StrataStore", "StrataStoreAPI", "StrataQuery",
                                                     "StrataPromQL", "StrataTSDB", "StrataCore", "StrataTestSupport"]),
        .testTarget(name: "StrataToolsTests", dependencies: ["StrataTools", "StrataTSDB", "StrataCore", "StrataTestSupport",
                                                      .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "StrataObjStoreTests",
            dependencies: [
                "StrataObjStore", "StrataCore",
                "StrataTestSupport", "StrataBucket", "StrataTSDB", "StrataCompact",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The bucket viewer: the model, its HTTP server over a filesystem bucket, the page in headless Chromium.
        .testTarget(
            name: "StrataBucketWebTests",
            dependencies: ["StrataBucketWeb", "StrataBucket", "StrataObjStore", "StrataTSDB", "StrataCore", "StrataServer", "StrataTestSupport",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .testTarget(
            name: "StrataBucketTests",
            dependencies: ["StrataBucket", "StrataObjStore", "StrataTSDB", "StrataCore", "StrataTestSupport"]
        ),
        .testTarget(name: "StrataTemplateTests", dependencies: ["StrataTemplate"]),
        // Remote write 1.0/2.0 and Thanos's forwarded request: round trips, fuzzing, negotiation,
        // and wire compatibility both ways with Python protobuf classes from the vendored Protos/.
        .testTarget(name: "StrataRemoteWriteTests", dependencies: ["StrataRemoteWrite", "StrataCore", "StrataTSDB", "StrataTestSupport"],
                    exclude: ["Protos"]),
        .testTarget(name: "StrataPromQLTests", dependencies: ["StrataPromQL", "StrataCore", "StrataTestSupport"],
                    exclude: ["promql-3.14-known-failures.txt"]),
        .testTarget(
            name: "StrataFrontendTests",
            dependencies: [
                "StrataFrontend", "StrataQuery", "StrataStore", "StrataStoreAPI", "StrataTSDB", "StrataCore", "StrataServer", "StrataCache",
                "StrataTestSupport", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "StrataQueryTests",
            dependencies: [
                "StrataQuery", "StrataPromQL", "StrataStore", "StrataStoreAPI", "StrataObjStore", "StrataServer", "StrataSecurity", "StrataTSDB", "StrataCore", "StrataCompact",
                "StrataTestSupport", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
