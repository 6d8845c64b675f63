import Logging
import Metrics
import NIOCore
import NIOSSL
import StrataCore
import Synchronization

/// The TLS side of a server (gRPC `--grpc-server-tls-*` flags, the web config's
/// `tls_server_config`): its certificate and key, whether and how client certificates are
/// checked, and the lowest protocol version accepted.
public struct ServerTLSConfig: Sendable, Equatable {
    /// What a client must show: Go's `tls.ClientAuthType` names, as Prometheus's web config
    /// spells them. Go's `RequestClientCert` and `RequireAnyClientCert` (a certificate asked
    /// for but not verified) have no counterpart in BoringSSL's modes and are refused.
    public enum ClientAuth: String, Sendable {
        case none = "NoClientCert"
        case verifyIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerify = "RequireAndVerifyClientCert"
    }

    public var certFile: String
    public var keyFile: String
    public var clientCAFile: String?
    public var clientAuth: ClientAuth
    public var minVersion: TLSVersion
    public var maxVersion: TLSVersion?

    public init(certFile: String, keyFile: String, clientCAFile: String? = nil, clientAuth: ClientAuth? = nil,
                minVersion: TLSVersion = .tlsv12, maxVersion: TLSVersion? = nil) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        // A client CA with no policy named means client certificates are required (Thanos's
        // `--grpc-server-tls-client-ca`).
        self.clientAuth = clientAuth ?? (clientCAFile == nil ? .none : .requireAndVerify)
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }
}

/// A server's TLS context source: files checked once at start (a bad file stops the service
/// with the file's name), then the certificate and key re-read when their files change, so a
/// rotated certificate is served from the next handshake on without a restart. A rotation
/// caught half-written (key not matching the certificate yet) keeps the previous pair, is
/// logged and counted in `strata_tls_certificate_reload_failures_total`, and is retried.
public final class ServerTLS: Sendable {
    public let config: ServerTLSConfig
    let logger: Logger
    /// The client CA's certificates, read once at start.
    let clientCA: [NIOSSLCertificate]?
    private let state: Mutex<State>

    struct State {
        var stamp: [String]
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var lastCheck: ContinuousClock.Instant
    }

    /// How often the files are looked at, at most (a stat per file per handshake otherwise).
    static let checkEvery: Duration = .seconds(1)

    public init(_ config: ServerTLSConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        clientCA = try config.clientCAFile.map { try PEMFiles.certificates($0, what: "client CA") }
        if config.clientCAFile == nil && config.clientAuth != .none {
            throw ConfigError("client_auth_type \(config.clientAuth.rawValue) needs a client CA file")
        }
        let stamp = PEMFiles.stamp([config.certFile, config.keyFile])
        let (chain, key) = try PEMFiles.certifiedKey(certFile: config.certFile, keyFile: config.keyFile)
        state = Mutex(State(stamp: stamp, chain: chain, key: key, lastCheck: .now))
    }

    /// The current certificate chain and key, re-read first if their files changed.
    func current() -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        state.withLock { st in
            let now = ContinuousClock.now
            if now - st.lastCheck >= Self.checkEvery {
                st.lastCheck = now
                let stamp = PEMFiles.stamp([config.certFile, config.keyFile])
                if stamp != st.stamp {
                    do {
                        (st.chain, st.key) = try PEMFiles.certifiedKey(certFile: config.certFile, keyFile: config.keyFile)
                        st.stamp = stamp
                        logger.info("TLS certificate reloaded", metadata: ["cert": "\(config.certFile)"])
                        Counter(label: "strata_tls_certificate_reloads_total").increment()
                    } catch {
                        logger.error("TLS certificate reload failed, serving the previous one", metadata: ["err": "\(error)"])
                        Counter(label: "strata_tls_certificate_reload_failures_total").increment()
                    }
                }
            }
            return (st.chain, st.key)
        }
    }

    /// A NIOSSL server configuration whose certificate comes from `current()` at every
    /// handshake. `applicationProtocols`: ALPN, `["h2"]` for gRPC (gRPC clients insist on it).
    public func tlsConfiguration(applicationProtocols: [String]) throws -> TLSConfiguration {
        let (chain, key) = current()
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                         privateKey: .privateKey(key))
        c.minimumTLSVersion = config.minVersion
        c.maximumTLSVersion = config.maxVersion
        c.applicationProtocols = applicationProtocols
        switch config.clientAuth {
        case .none: c.certificateVerification = .none
        case .verifyIfGiven: c.certificateVerification = .optionalVerification
        case .requireAndVerify: c.certificateVerification = .noHostnameVerification
        }
        if let clientCA { c.trustRoots = .certificates(clientCA) }
        c.sslContextCallback = { [self] _, promise in
            let (chain, key) = current()
            var o = NIOSSLContextConfigurationOverride()
            o.certificateChain = chain.map { .certificate($0) }
            o.privateKey = .privateKey(key)
            promise.succeed(o)
        }
        return c
    }

    /// A context for a listener; the certificate still follows the files (see above).
    public func makeContext(applicationProtocols: [String]) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: tlsConfiguration(applicationProtocols: applicationProtocols))
    }
}
