import NIOSSL
import StrataCore

/// The TLS side of a client, in Prometheus's `tls_config` shape (used by `http_client_config`,
/// the S3 `http_config.tls_config`, Thanos's endpoint `client_config.tls_config` and the
/// `--grpc-client-tls-*` flags): whom to trust, which certificate to show, which name to
/// check.
public struct ClientTLSConfig: Sendable, Equatable {
    /// CA bundle the server certificate must chain to; nil: the system's roots.
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// The name checked in the server certificate and sent as SNI; nil: the host dialled.
    public var serverName: String?
    public var insecureSkipVerify = false
    public var minVersion: TLSVersion = .tlsv12

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil,
                insecureSkipVerify: Bool = false, minVersion: TLSVersion = .tlsv12) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
        self.minVersion = minVersion
    }

    /// Reads a `tls_config` mapping; unknown fields are an error (a misspelt `ca_file` must
    /// not quietly mean "trust the system roots").
    public static func parse(_ m: inout ConfigMap) throws -> ClientTLSConfig {
        func file(_ k: String) throws -> String? { let v = try m.string(k); return v.isEmpty ? nil : v }
        var c = ClientTLSConfig()
        c.caFile = try file("ca_file")
        c.certFile = try file("cert_file")
        c.keyFile = try file("key_file")
        c.serverName = try file("server_name")
        c.insecureSkipVerify = try m.bool("insecure_skip_verify")
        let v = try m.string("min_version")
        if !v.isEmpty { c.minVersion = try TLSVersionName.parse(v) }
        for k in ["ca", "cert", "key"] where m.has(k) {
            throw ConfigError("\(m.path).\(k): inline PEM is not supported, use \(k)_file")
        }
        try m.rejectUnknown()
        try c.validate()
        return c
    }

    /// Files readable and the key matching the certificate: checked at start.
    public func validate() throws {
        if (certFile == nil) != (keyFile == nil) {
            throw ConfigError("a client certificate needs both cert_file and key_file")
        }
        if let ca = caFile { _ = try PEMFiles.certificates(ca, what: "CA") }
        if let cert = certFile, let key = keyFile { _ = try PEMFiles.certifiedKey(certFile: cert, keyFile: key) }
    }

    /// A NIOSSL client configuration (for AsyncHTTPClient).
    public func tlsConfiguration() throws -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = minVersion
        if let ca = caFile { c.trustRoots = .certificates(try PEMFiles.certificates(ca, what: "CA")) }
        if let cert = certFile, let key = keyFile {
            let (chain, k) = try PEMFiles.certifiedKey(certFile: cert, keyFile: key)
            c.certificateChain = chain.map { .certificate($0) }
            c.privateKey = .privateKey(k)
        }
        c.certificateVerification = insecureSkipVerify ? .none : .fullVerification
        return c
    }
}
