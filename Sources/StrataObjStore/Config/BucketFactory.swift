import Foundation
import Logging
import Metrics
import StrataCore

/// Builds the bucket an `objstore.yml` describes: provider, then `prefix:`, then metrics.
public enum BucketFactory {
    /// - Parameters:
    ///   - retry: S3 retry policy (tests shorten it; services use the default).
    ///   - metrics: metrics backend for `InstrumentedBucket`; nil disables instrumentation.
    ///   - health: told about every S3 request attempt (services' `/-/ready`).
    public static func make(_ config: ObjStoreConfig, retry: RetryPolicy = .default,
                            logger: Logger = Logger(label: "objstore"),
                            metrics: (any MetricsFactory)? = MetricsSystem.factory,
                            health: ObjectStoreHealth? = nil) throws -> any Bucket {
        let base: any Bucket
        switch config.provider {
        case .filesystem(let dir):
            base = try FilesystemBucket(directory: dir)
        case .s3(let s3):
            base = try S3Bucket(config: s3, retry: retry, logger: logger, health: health)
        }
        let prefixed = PrefixedBucket.wrap(base, prefix: config.prefix)
        guard let metrics else { return prefixed }
        return InstrumentedBucket(prefixed, factory: metrics)
    }

    /// From `--objstore.config-file` or `--objstore.config` (inline YAML); exactly one is needed.
    public static func loadConfig(file: String?, inline: String?,
                                  environment: [String: String] = ProcessInfo.processInfo.environment,
                                  logger: Logger = Logger(label: "objstore")) throws -> ObjStoreConfig {
        let file = file.flatMap { $0.isEmpty ? nil : $0 }
        let inline = inline.flatMap { $0.isEmpty ? nil : $0 }
        switch (file, inline) {
        case (nil, nil):
            throw ConfigError("object storage is not configured: pass --objstore.config-file=<objstore.yml> or --objstore.config=<YAML>")
        case (.some, .some):
            throw ConfigError("pass only one of --objstore.config-file and --objstore.config")
        case (let path?, nil):
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ConfigError("cannot read --objstore.config-file \(path): \(error.localizedDescription)")
            }
            return try ObjStoreConfig.parse(yaml: text, environment: environment, logger: logger)
        case (nil, let yaml?):
            return try ObjStoreConfig.parse(yaml: yaml, environment: environment, logger: logger)
        }
    }
}
