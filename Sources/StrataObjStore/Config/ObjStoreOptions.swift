import ArgumentParser
import Logging

/// `--objstore.config-file` / `--objstore.config`, the Thanos flags, shared by every service
/// and tool that needs the bucket (`@OptionGroup var objstore: ObjStoreOptions`).
public struct ObjStoreOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("objstore.config-file"),
            help: "Path to a YAML file describing the object store (Thanos objstore.yml format).")
    public var configFile: String?

    @Option(name: .customLong("objstore.config"),
            help: "The object store configuration as inline YAML (alternative to --objstore.config-file).")
    public var config: String?

    public init() {}

    /// Parses the configuration (errors say which flag to fix).
    public func loadConfig(logger: Logger = Logger(label: "objstore")) throws -> ObjStoreConfig {
        try BucketFactory.loadConfig(file: configFile, inline: config, logger: logger)
    }

    /// The configured bucket, with prefix and metrics. The caller must `close()` it.
    /// Tools pass `.interactive` so that an unreachable endpoint fails in seconds.
    public func makeBucket(retry: RetryPolicy = .default, logger: Logger = Logger(label: "objstore")) throws -> any Bucket {
        try BucketFactory.make(loadConfig(logger: logger), retry: retry, logger: logger)
    }

    /// For services: the bucket and its reachability (`strata_objstore_reachable`, `/-/ready`).
    public func makeMonitoredBucket(logger: Logger = Logger(label: "objstore")) throws -> (bucket: any Bucket, health: ObjectStoreHealth) {
        let config = try loadConfig(logger: logger)
        let location = switch config.provider {
        case .filesystem(let directory): "filesystem bucket at \(directory)"
        case .s3(let s3): "S3 bucket \"\(s3.bucket)\" at \(s3.endpoint)"
        }
        let health = ObjectStoreHealth(location: location)
        return (try BucketFactory.make(config, logger: logger, health: health), health)
    }
}
