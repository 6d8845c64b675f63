import Logging
import StrataCore
import StrataSecurity

/// Thanos `type: S3` configuration (spec/object-storage.md §6.1), the subset Strata acts on.
///
/// Keys Thanos knows but Strata does not implement are accepted when they hold their default
/// value and rejected with a clear error otherwise, so a config never silently means
/// something else than it says.
public struct S3Config: Sendable, Equatable {
    public enum LookupType: String, Sendable { case auto, virtualHosted = "virtual-hosted", path }

    public var bucket: String
    public var endpoint: String
    public var region: String = "us-east-1"
    public var accessKey: String = ""
    public var secretKey: String = ""
    public var sessionToken: String = ""
    public var insecure: Bool = false
    public var lookupType: LookupType = .auto
    /// Multipart threshold and part size in bytes (Thanos default 64 MiB, S3 minimum 5 MiB).
    public var partSize: Int64 = 64 << 20
    public var putUserMetadata: [String: String] = [:]
    /// Server-side encryption: "" (none), "SSE-S3" or "SSE-KMS".
    public var sseType: String = ""
    public var sseKMSKeyID: String = ""
    public var sseKMSContext: [String: String] = [:]
    /// Maximum time to wait for response headers (Thanos `http_config.response_header_timeout`);
    /// also used as the idle timeout while reading a body.
    public var responseHeaderTimeoutMs: Int64 = 120_000
    public var idleConnTimeoutMs: Int64 = 90_000
    public var connectTimeoutMs: Int64 = 10_000
    public var maxIdleConnsPerHost: Int = 100
    /// `http_config.tls_config` (and `http_config.insecure_skip_verify`): the CA the endpoint's
    /// certificate must chain to, a client certificate, the name to check instead of the
    /// endpoint's host.
    public var tls = ClientTLSConfig()

    public static let minPartSize: Int64 = 5 << 20

    public init(bucket: String, endpoint: String) {
        self.bucket = bucket
        self.endpoint = endpoint
    }

    /// Parses the `config:` mapping of an `S3` objstore.yml, filling credentials from the
    /// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) when
    /// `access_key` is empty, like Thanos.
    static func parse(_ m: inout ConfigMap, environment: [String: String], logger: Logger) throws -> S3Config {
        var c = S3Config(bucket: try m.requiredString("bucket"), endpoint: try m.requiredString("endpoint"))
        if c.endpoint.contains("://") {
            throw ConfigError("config.endpoint must be host[:port] without a scheme (use insecure: true for http), got \"\(c.endpoint)\"")
        }
        let region = try m.string("region")
        if !region.isEmpty {
            c.region = region
        } else if let fromEndpoint = Self.region(fromEndpoint: c.endpoint) {
            // minio asks the bucket's location; an AWS endpoint names the region already.
            c.region = fromEndpoint
        }
        c.accessKey = try m.string("access_key")
        c.secretKey = try m.string("secret_key")
        c.sessionToken = try m.string("session_token")
        if c.accessKey.isEmpty != c.secretKey.isEmpty {
            throw ConfigError("config.access_key and config.secret_key must both be set or both be empty")
        }
        if try m.bool("aws_sdk_auth") {
            if !c.accessKey.isEmpty { throw ConfigError("config.aws_sdk_auth and config.access_key are mutually exclusive") }
            throw ConfigError("config.aws_sdk_auth is not supported by Strata; use access_key/secret_key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
        }
        if c.accessKey.isEmpty {
            c.accessKey = environment["AWS_ACCESS_KEY_ID"] ?? ""
            c.secretKey = environment["AWS_SECRET_ACCESS_KEY"] ?? ""
            c.sessionToken = environment["AWS_SESSION_TOKEN"] ?? ""
        }
        if c.accessKey.isEmpty, let file = try AWSCredentialsFile.load(environment: environment) {
            (c.accessKey, c.secretKey, c.sessionToken) = (file.accessKey, file.secretKey, file.sessionToken)
        }
        if c.accessKey.isEmpty || c.secretKey.isEmpty {
            throw ConfigError("no S3 credentials: set config.access_key and config.secret_key, AWS_ACCESS_KEY_ID and "
                              + "AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials (IAM roles are not supported)")
        }
        c.insecure = try m.bool("insecure")
        if try m.bool("signature_version2") {
            throw ConfigError("config.signature_version2 is not supported; Strata signs with SigV4")
        }
        c.putUserMetadata = try m.stringMap("put_user_metadata")
        let lookup = try m.string("bucket_lookup_type", default: "auto")
        guard let lt = LookupType(rawValue: lookup) else {
            throw ConfigError("config.bucket_lookup_type must be auto, virtual-hosted or path, got \"\(lookup)\"")
        }
        c.lookupType = lt
        let ps = try m.int("part_size", default: 64 << 20)
        if ps != 0 && ps < minPartSize {
            throw ConfigError("config.part_size must be at least 5 MiB (5242880), got \(ps)")
        }
        c.partSize = ps == 0 ? 64 << 20 : ps
        let lov = try m.string("list_objects_version")
        if !(lov.isEmpty || lov == "v2") {
            throw ConfigError("config.list_objects_version \"\(lov)\" is not supported; Strata uses ListObjectsV2")
        }
        if !(try m.string("sts_endpoint")).isEmpty {
            throw ConfigError("config.sts_endpoint is not supported by Strata")
        }
        var trace = try m.map("trace")
        _ = try trace.bool("enable")
        trace.warnUnknown(logger)

        var sse = try m.map("sse_config")
        c.sseType = try sse.string("type")
        c.sseKMSKeyID = try sse.string("kms_key_id")
        c.sseKMSContext = try sse.stringMap("kms_encryption_context")
        let sseKeyFile = try sse.string("encryption_key")
        sse.warnUnknown(logger)
        switch c.sseType {
        case "": break
        case "SSE-S3": break
        case "SSE-KMS":
            if c.sseKMSKeyID.isEmpty { throw ConfigError("config.sse_config.kms_key_id is required for SSE-KMS") }
        case "SSE-C":
            _ = sseKeyFile
            throw ConfigError("config.sse_config.type SSE-C is not supported by Strata (use SSE-S3 or SSE-KMS)")
        default:
            throw ConfigError("config.sse_config.type must be SSE-S3 or SSE-KMS, got \"\(c.sseType)\"")
        }

        var http = try m.map("http_config")
        c.idleConnTimeoutMs = try http.duration("idle_conn_timeout", default: 90_000)
        c.responseHeaderTimeoutMs = try http.duration("response_header_timeout", default: 120_000)
        let skipVerify = try http.bool("insecure_skip_verify")
        // AsyncHTTPClient bounds connecting and the TLS handshake together: Thanos's handshake
        // bound is that whole budget. Strata never sends `Expect: 100-continue`, so
        // `expect_continue_timeout` has nothing to bound; it is accepted for compatibility.
        c.connectTimeoutMs = try http.duration("tls_handshake_timeout", default: 10_000)
        _ = try http.duration("expect_continue_timeout", default: 1_000)
        _ = try http.int("max_idle_conns", default: 100)
        c.maxIdleConnsPerHost = Int(try http.int("max_idle_conns_per_host", default: 100))
        _ = try http.int("max_conns_per_host", default: 0)
        _ = try http.bool("disable_compression")
        var tls = try http.map("tls_config")
        c.tls = try ClientTLSConfig.parse(&tls)
        if skipVerify { c.tls.insecureSkipVerify = true }
        http.warnUnknown(logger)
        return c
    }

    /// `s3.eu-west-1.amazonaws.com`, `s3-eu-west-1.amazonaws.com`,
    /// `s3.dualstack.eu-west-1.amazonaws.com` → `eu-west-1`; nil for other endpoints.
    static func region(fromEndpoint endpoint: String) -> String? {
        let host = endpoint.split(separator: ":").first.map { $0.lowercased() } ?? ""
        guard host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn") else { return nil }
        let labels = host.split(separator: ".").map(String.init)
        guard let first = labels.first else { return nil }
        if first.hasPrefix("s3-") { return String(first.dropFirst(3)) }
        guard first == "s3", labels.count > 3 else { return nil }
        let candidate = labels[1] == "dualstack" ? labels[2] : labels[1]
        return candidate == "amazonaws" ? nil : candidate
    }

    /// Whether requests address the bucket as a host name (`b.endpoint`) or a path (`/b`).
    /// `auto` follows minio: virtual-hosted only for Amazon/Google/Aliyun endpoints, and not
    /// over TLS when the bucket name contains a dot (the wildcard certificate would not match).
    public var usesVirtualHost: Bool {
        switch lookupType {
        case .path: return false
        case .virtualHosted: return true
        case .auto:
            let host = endpoint.split(separator: ":").first.map(String.init)?.lowercased() ?? ""
            let known = host.hasSuffix("amazonaws.com") || host.hasSuffix("amazonaws.com.cn")
                || host == "storage.googleapis.com" || host.hasSuffix("aliyuncs.com")
            if !known { return false }
            return !(!insecure && bucket.contains("."))
        }
    }
}

/// Printing a config (logs, test failures, `dump`) never shows the secret key or token.
extension S3Config: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "S3Config(bucket: \(bucket), endpoint: \(endpoint), region: \(region), access_key: \(accessKey), "
            + "secret_key: \(secretKey.isEmpty ? "" : "<redacted>"), session_token: \(sessionToken.isEmpty ? "" : "<redacted>"), "
            + "insecure: \(insecure), bucket_lookup_type: \(lookupType.rawValue), part_size: \(partSize))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}
