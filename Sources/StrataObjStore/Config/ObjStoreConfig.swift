import Foundation
import Logging
import StrataCore
import Yams

/// A parsed Thanos `objstore.yml`: `type`, `config`, `prefix`.
public struct ObjStoreConfig: Sendable, Equatable {
    public enum Provider: Sendable, Equatable {
        case filesystem(directory: String)
        case s3(S3Config)
    }

    public var provider: Provider
    /// Every key is stored as `<prefix>/<key>`; empty means none.
    public var prefix: String

    public init(provider: Provider, prefix: String = "") {
        self.provider = provider
        self.prefix = prefix
    }

    /// Parses objstore YAML. A missing required key or a bad value throws `ConfigError`;
    /// unknown keys are logged (key names only, values may be secrets).
    public static func parse(yaml: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                             logger: Logger = Logger(label: "objstore")) throws -> ObjStoreConfig {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            // Yams errors quote the offending line, which may hold a secret: report the position only.
            throw ConfigError("object storage config is not valid YAML\(ConfigMap.yamlPosition(error))")
        }
        guard let root else { throw ConfigError("object storage config is empty") }
        var top = try ConfigMap(root, path: "objstore")
        let type = try top.requiredString("type").uppercased()
        var config = try top.map("config")
        var prefix = try top.string("prefix")
        while prefix.hasPrefix("/") { prefix.removeFirst() }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if !prefix.isEmpty { try ObjectKey.validate(prefix) }

        let provider: Provider
        switch type {
        case "FILESYSTEM":
            let dir = try config.string("directory")
            if dir.isEmpty { throw ConfigError("objstore.config.directory is required for type FILESYSTEM") }
            provider = .filesystem(directory: dir)
        case "S3":
            if !top.has("config") { throw ConfigError("objstore.config is required for type S3") }
            provider = .s3(try S3Config.parse(&config, environment: environment, logger: logger))
        case "GCS", "AZURE", "SWIFT", "COS", "ALIYUNOSS", "BOS", "OCI":
            throw ConfigError("object storage type \(type) is not supported by Strata (use S3 or FILESYSTEM)")
        default:
            throw ConfigError("unknown object storage type \"\(type)\" (use S3 or FILESYSTEM)")
        }
        config.warnUnknown(logger)
        top.warnUnknown(logger)
        return ObjStoreConfig(provider: provider, prefix: prefix)
    }
}
