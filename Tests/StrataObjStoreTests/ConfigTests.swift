import ArgumentParser
import Foundation
import Logging
import StrataCore
import Synchronization
import Testing
@testable import StrataObjStore

/// Collects log events so tests can check warnings (and that no secret is logged).
final class CapturingLogs: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: CapturingLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).merging(metadata) { a, _ in a }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.lines.withLock { $0.append("\(event.level) \(event.message) \(meta)") }
        }
    }
}

@Suite("objstore.yml")
struct ConfigTests {
    static let secret = "s3cr3t/KEY+value"

    @Test func filesystem() throws {
        let c = try ObjStoreConfig.parse(yaml: "type: filesystem\nconfig:\n  directory: /tmp/b\nprefix: /tenant/\n")
        #expect(c == ObjStoreConfig(provider: .filesystem(directory: "/tmp/b"), prefix: "tenant"))
    }

    @Test func s3WithDefaults() throws {
        let yaml = """
        type: S3
        config:
          bucket: thanos
          endpoint: s3.eu-west-1.amazonaws.com
          access_key: AKID
          secret_key: \(Self.secret)
          http_config:
            idle_conn_timeout: 1m30s
            response_header_timeout: 30s
        """
        let c = try ObjStoreConfig.parse(yaml: yaml, environment: [:])
        guard case .s3(let s3) = c.provider else { Issue.record("not S3"); return }
        #expect(s3.bucket == "thanos")
        #expect(s3.region == "eu-west-1", "taken from the AWS endpoint")
        #expect(s3.partSize == 64 << 20)
        #expect(s3.lookupType == .auto)
        #expect(s3.usesVirtualHost)
        #expect(!s3.insecure)
        #expect(s3.responseHeaderTimeoutMs == 30_000)
        #expect(s3.idleConnTimeoutMs == 90_000)
        #expect(c.prefix == "")
        #expect(!"\(c)".contains(Self.secret))
        #expect(!String(reflecting: s3).contains(Self.secret))
    }

    @Test func lookupStyle() {
        var c = S3Config(bucket: "b", endpoint: "minio:9000")
        #expect(!c.usesVirtualHost)
        c.lookupType = .virtualHosted
        #expect(c.usesVirtualHost)
        c = S3Config(bucket: "with.dot", endpoint: "s3.amazonaws.com")
        #expect(!c.usesVirtualHost)
        c.insecure = true
        #expect(c.usesVirtualHost)
    }

    @Test func credentialsFromEnvironment() throws {
        let yaml = "type: S3\nconfig:\n  bucket: b\n  endpoint: localhost:9000\n  insecure: true\n"
        let env = ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": "TOK"]
        let c = try ObjStoreConfig.parse(yaml: yaml, environment: env)
        guard case .s3(let s3) = c.provider else { Issue.record("not S3"); return }
        #expect(s3.accessKey == "ENVKEY")
        #expect(s3.secretKey == Self.secret)
        #expect(s3.sessionToken == "TOK")
        #expect(throws: ConfigError.self) {
            try ObjStoreConfig.parse(yaml: yaml, environment: ["AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"])
        }
    }

    @Test func credentialsFile() throws {
        let dir = try TestSupport.tempDirectory("aws")
        defer { TestSupport.removeDirectory(dir) }
        try """
        [default]
        aws_access_key_id = DEFKEY
        aws_secret_access_key = DEFSECRET
        # comment
        [ops]
        aws_access_key_id=OPSKEY
        aws_secret_access_key=\(Self.secret)
        aws_session_token = T
        """.write(toFile: dir + "/credentials", atomically: true, encoding: .utf8)
        let yaml = "type: S3\nconfig:\n  bucket: b\n  endpoint: s3.eu-central-1.amazonaws.com\n"
        var env = ["AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials"]
        guard case .s3(let d) = try ObjStoreConfig.parse(yaml: yaml, environment: env).provider else { return }
        #expect(d.accessKey == "DEFKEY" && d.secretKey == "DEFSECRET")
        #expect(d.region == "eu-central-1")
        env["AWS_PROFILE"] = "ops"
        guard case .s3(let o) = try ObjStoreConfig.parse(yaml: yaml, environment: env).provider else { return }
        #expect(o.accessKey == "OPSKEY" && o.secretKey == Self.secret && o.sessionToken == "T")
    }

    @Test func regionFromEndpoint() {
        #expect(S3Config.region(fromEndpoint: "s3.eu-west-1.amazonaws.com") == "eu-west-1")
        #expect(S3Config.region(fromEndpoint: "s3-us-west-2.amazonaws.com") == "us-west-2")
        #expect(S3Config.region(fromEndpoint: "s3.dualstack.ap-south-1.amazonaws.com") == "ap-south-1")
        #expect(S3Config.region(fromEndpoint: "s3.amazonaws.com") == nil)
        #expect(S3Config.region(fromEndpoint: "minio:9000") == nil)
    }

    static func error(_ yaml: String) -> String {
        do {
            _ = try ObjStoreConfig.parse(yaml: yaml, environment: [:])
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func missingRequiredKeysAreClearErrors() {
        #expect(Self.error("config:\n  directory: /x\n").contains("objstore.type is required"))
        #expect(Self.error("type: FILESYSTEM\n").contains("objstore.config.directory is required"))
        #expect(Self.error("type: S3\nconfig:\n  endpoint: e\n").contains("objstore.config.bucket is required"))
        #expect(Self.error("type: S3\nconfig:\n  bucket: b\n").contains("objstore.config.endpoint is required"))
        #expect(Self.error("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n").contains("no S3 credentials")
                || FileManager.default.fileExists(atPath: NSHomeDirectory() + "/.aws/credentials"))
        #expect(Self.error("type: GCS\nconfig: {}\n").contains("not supported"))
        #expect(Self.error("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n  part_size: 1000\n  secret_key: x\n")
                .contains("part_size"))
        #expect(Self.error("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n").contains("both"))
        #expect(Self.error("type: S3\nconfig:\n  bucket: b\n  endpoint: http://e\n  access_key: a\n  secret_key: b\n")
                .contains("without a scheme"))
        #expect(Self.error("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n  secret_key: b\n  bucket_lookup_type: dns\n")
                .contains("bucket_lookup_type"))
    }

    @Test func invalidYAMLDoesNotEchoSecrets() {
        let msg = Self.error("type: S3\nconfig:\n  secret_key: \"\(Self.secret)\n  bucket: [\n")
        #expect(msg.contains("not valid YAML"))
        #expect(!msg.contains(Self.secret))
    }

    @Test func unknownKeysAreWarnedByNameOnly() throws {
        let logs = CapturingLogs()
        let yaml = """
        type: S3
        config:
          bucket: b
          endpoint: e:9000
          access_key: a
          secret_key: \(Self.secret)
          secret_typo: \(Self.secret)
          http_config: {max_idle_conns: 10, surprise: 1}
        extra: 1
        """
        _ = try ObjStoreConfig.parse(yaml: yaml, environment: [:], logger: logs.logger)
        let lines = logs.lines.withLock { $0 }
        #expect(lines.count == 3)
        #expect(lines.contains { $0.contains("key=objstore.config.secret_typo") })
        #expect(lines.contains { $0.contains("key=objstore.config.http_config.surprise") })
        #expect(lines.contains { $0.contains("key=objstore.extra") })
        #expect(lines.allSatisfy { $0.hasPrefix("warning") && !$0.contains(Self.secret) })
    }

    @Test func flagsAndFactoryWithPrefix() async throws {
        let dir = try TestSupport.tempDirectory("cfg")
        defer { TestSupport.removeDirectory(dir) }
        let yaml = "type: FILESYSTEM\nconfig:\n  directory: \(dir)\nprefix: team-a\n"
        let opts = try ObjStoreOptions.parse(["--objstore.config", yaml])
        let b = try opts.makeBucket()
        try await b.put("01ABC/meta.json", bytes: Array("{}".utf8))
        #expect(FileManager.default.fileExists(atPath: dir + "/team-a/01ABC/meta.json"))
        #expect(try await b.list() == ["01ABC/"])
        try await b.close()

        try yaml.write(toFile: dir + "/objstore.yml", atomically: true, encoding: .utf8)
        let fromFile = try ObjStoreOptions.parse(["--objstore.config-file", dir + "/objstore.yml"]).loadConfig()
        #expect(fromFile.prefix == "team-a")

        #expect(throws: ConfigError.self) { try ObjStoreOptions.parse([]).loadConfig() }
        #expect(throws: ConfigError.self) {
            try ObjStoreOptions.parse(["--objstore.config", yaml, "--objstore.config-file", "x"]).loadConfig()
        }
        #expect(throws: ConfigError.self) {
            try ObjStoreOptions.parse(["--objstore.config-file", dir + "/missing.yml"]).loadConfig()
        }
    }
}
