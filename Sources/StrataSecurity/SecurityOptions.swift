import ArgumentParser
import Logging
import NIOSSL
import StrataCore

/// Thanos's `--grpc-server-tls-*` flags, on every service that serves a gRPC API.
public struct GRPCServerTLSOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("grpc-server-tls-cert"), help: "TLS certificate (PEM) of the gRPC server; empty: plaintext. Reloaded when the file changes.")
    public var cert = ""
    @Option(name: .customLong("grpc-server-tls-key"), help: "TLS private key (PEM) of the gRPC server.")
    public var key = ""
    @Option(name: .customLong("grpc-server-tls-client-ca"), help: "CA (PEM) client certificates must chain to; set: clients must show one (mTLS).")
    public var clientCA = ""
    @Option(name: .customLong("grpc-server-tls-min-version"), help: "Lowest TLS version accepted: 1.0, 1.1, 1.2 or 1.3.")
    public var minVersion = "1.3"

    public init() {}

    /// nil: plaintext. Files are checked here, so a bad one stops the service at start.
    public func make(logger: Logger) throws -> ServerTLS? {
        if cert.isEmpty && key.isEmpty {
            if !clientCA.isEmpty { throw ConfigError("--grpc-server-tls-client-ca needs --grpc-server-tls-cert and --grpc-server-tls-key") }
            return nil
        }
        guard !cert.isEmpty, !key.isEmpty else { throw ConfigError("--grpc-server-tls-cert and --grpc-server-tls-key go together") }
        let c = ServerTLSConfig(certFile: cert, keyFile: key, clientCAFile: clientCA.isEmpty ? nil : clientCA,
                                minVersion: try TLSVersionName.parse(minVersion))
        return try ServerTLS(c, logger: logger)
    }
}

/// Thanos's `--grpc-client-tls-*` flags: how a component dials Store API endpoints (the
/// default for every endpoint that an `--endpoint.sd-config` does not configure itself).
public struct GRPCClientTLSOptions: ParsableArguments, Sendable {
    @Flag(name: .customLong("grpc-client-tls-secure"), help: "Use TLS when dialling gRPC endpoints.")
    public var secure = false
    @Flag(name: .customLong("grpc-client-tls-skip-verify"), help: "Do not verify the endpoints' certificates (TLS still on).")
    public var skipVerify = false
    @Option(name: .customLong("grpc-client-tls-cert"), help: "Client certificate (PEM) shown to endpoints (mTLS).")
    public var cert = ""
    @Option(name: .customLong("grpc-client-tls-key"), help: "Private key (PEM) of the client certificate.")
    public var key = ""
    @Option(name: .customLong("grpc-client-tls-ca"), help: "CA (PEM) the endpoints' certificates must chain to; empty: the system's roots.")
    public var ca = ""
    @Option(name: .customLong("grpc-client-server-name"), help: "Name checked in the endpoints' certificates (and sent as SNI) instead of the dialled host.")
    public var serverName = ""

    public init() {}

    /// nil: plaintext.
    public func make() throws -> ClientTLSConfig? {
        guard secure else {
            if !(cert + key + ca + serverName).isEmpty || skipVerify {
                throw ConfigError("--grpc-client-tls-* flags need --grpc-client-tls-secure")
            }
            return nil
        }
        let c = ClientTLSConfig(caFile: ca.isEmpty ? nil : ca, certFile: cert.isEmpty ? nil : cert,
                                keyFile: key.isEmpty ? nil : key, serverName: serverName.isEmpty ? nil : serverName,
                                insecureSkipVerify: skipVerify)
        try c.validate()
        return c
    }
}

/// `--http.config`: Prometheus's web configuration file for the service's HTTP port.
public struct WebConfigOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("http.config"), help: "Web config file (Prometheus format): TLS, basic auth users (bcrypt), headers for the HTTP port.")
    public var file = ""

    public init() {}

    public func make() throws -> WebConfig? {
        file.isEmpty ? nil : try WebConfig.load(file: file)
    }
}
