import ArgumentParser
import Logging
import StrataCore
import StrataObjStore
import StrataQuery
import StrataSecurity
import StrataServer
import StrataStoreAPI
import StrataSidecar

/// `strata-sidecar`: runs next to Prometheus; flags as in Thanos's sidecar.
@main
struct SidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-sidecar",
        abstract: "Ships Prometheus blocks to object storage and serves recent data over the Store API.")

    @Option(name: .customLong("tsdb.path"), help: "Data directory of Prometheus.") var tsdbPath = "./data"
    @Option(name: .customLong("prometheus.url"), help: "URL of the Prometheus to sidecar.") var prometheusURL = "http://localhost:9090"
    @Option(name: .customLong("grpc-address"), help: "Listen host:port for the Store API (gRPC).") var grpcAddress = "0.0.0.0:10901"
    @Option(name: .customLong("http-address"), help: "Listen host:port for /metrics, /-/healthy, /-/ready.") var httpAddress = "0.0.0.0:10902"
    @Flag(name: .customLong("shipper.upload-compacted"), help: "Also upload compacted blocks (level > 1) not overlapping the bucket.") var uploadCompacted = false
    @Option(name: .customLong("min-time"), help: "Serve only data after this time (RFC3339, unix seconds or a duration before now like -2d).") var minTime: String?
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"
    @Option(name: .customLong("prometheus.http-client-file"), help: "Prometheus http_client_config (basic_auth, authorization, bearer_token_file, tls_config) for talking to Prometheus.") var prometheusClientFile: String?
    @Option(name: .customLong("prometheus.http-client"), help: "The same as YAML text (instead of the file).") var prometheusClientText: String?
    @OptionGroup var objstore: ObjStoreOptions
    @Option(name: .customLong("wire-address"), help: "Strata's wire for Series calls and pushed-down queries between Strata components (faster than gRPC, same TLS): auto (the gRPC host, a free port, advertised in Info), host:port, or off.") var wireAddress = "auto"
    @OptionGroup var grpcServerTLS: GRPCServerTLSOptions
    @OptionGroup var web: WebConfigOptions

    func run() async throws {
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "sidecar")
        let registry = AdminServer.bootstrapMetrics()
        let monitored = (objstore.configFile ?? objstore.config) == nil ? nil : try objstore.makeMonitoredBucket(logger: logger)
        let bucket = monitored?.bucket
        var config = SidecarService.Config(tsdbPath: tsdbPath, prometheusURL: prometheusURL, grpcAddress: grpcAddress,
                                           httpAddress: httpAddress, uploadCompacted: uploadCompacted,
                                           minTime: try minTime.map { try parseTimeFlag($0) })
        config.grpcTLS = try grpcServerTLS.make(logger: logger)
        config.wire = try WireListen.parse(wireAddress)
        config.web = try web.make()
        config.pushdown = StorePushdownAPI.factory()
        if let file = prometheusClientFile {
            config.prometheusClient = try HTTPClientConfig.load(file: file)
        } else if let text = prometheusClientText {
            config.prometheusClient = try HTTPClientConfig.parse(yaml: text, name: "--prometheus.http-client")
        }
        try await SidecarService(config: config, bucket: bucket, registry: registry, logger: logger, health: monitored?.health).run()
        try await bucket?.close()
    }
}


