import GRPCCore
import GRPCProtobuf
import GRPCNIOTransportHTTP2
import Metrics
import NIOCore
import NIOSSL
import StrataCore
import StrataSecurity
import SwiftProtobuf
import Synchronization

/// A `StoreClient` talking gRPC to a Thanos-compatible Store API endpoint (Strata's or
/// Thanos's own). One HTTP/2 connection, kept open; call `close` when done.
///
/// When the endpoint's Info answer advertises Strata's wire (WireFrame.swift) and `wire` is
/// on, Series calls and pushed-down queries go over it once a first wire connection worked;
/// a wire failure before any answer arrived sends that call over gRPC instead
/// (`strata_wire_client_fallbacks_total`) and the wire waits for the next Info probe.
public final class GRPCStoreClient: StoreClient {
    static let fallbacks = Counter(label: "strata_wire_client_fallbacks_total")
    public let name: String
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let connections: Task<Void, Never>
    let timeout: Duration
    let wireHost: String?
    let wireTLS: NIOSSLContext?
    let wireServerName: String?
    let wire = Mutex<WireClient?>(nil)

    /// `target`: `host:port`. `timeout` bounds each call. `tls`: nil dials plaintext (gRPC and
    /// wire). `wire`: use Strata's wire where the endpoint offers it.
    public init(target: String, timeout: Duration = .seconds(120), tls: ClientTLSConfig? = nil, wire: Bool = true) throws {
        name = target
        let client = try Self.makeClient(target: target, tls: tls)
        self.client = client
        connections = Task { try? await client.runConnections() }
        self.timeout = timeout
        let host = HostPort.split(target)?.host
        // A TLS context that cannot be made leaves the wire off (never plaintext to a TLS endpoint).
        let wireTLS: NIOSSLContext?? = tls.map { tls in try? NIOSSLContext(configuration: tls.tlsConfiguration()) } ?? .some(nil)
        if wire, let host, let context = wireTLS {
            wireHost = host
            self.wireTLS = context
        } else {
            wireHost = nil
            self.wireTLS = nil
        }
        wireServerName = tls?.serverName ?? host.flatMap { Self.isIPv4($0) || $0.contains(":") ? nil : $0 }
    }

    /// Follows the wire port of the endpoint's latest Info answer.
    func adoptWire(from info: Thanos_Info_InfoResponse) {
        guard let host = wireHost else { return }
        let port = Wire.port(in: info)
        let (old, current) = wire.withLock { w -> (WireClient?, WireClient?) in
            if w?.port == port { return (nil, w) }
            let old = w
            w = port.map { WireClient(host: host, port: $0, tls: wireTLS, serverName: wireServerName) }
            return (old, w)
        }
        old?.close()
        current?.warmUp()
    }

    /// Runs a call over the wire when it is ready: true when it was answered there (or failed
    /// after answers were delivered: then it throws), false when it is to go over gRPC.
    func overWire(_ method: Wire.Method, _ request: some SwiftProtobuf.Message & Sendable,
                  onMessage: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Bool {
        guard let w = wire.withLock({ $0 }), w.ready else { return false }
        let delivered = Mutex(false)
        do {
            try await bounded {
                try await w.call(method, request) { m in
                    delivered.withLock { $0 = true }
                    try await onMessage(m)
                }
            }
            return true
        } catch let error as WireError where !delivered.withLock({ $0 }) {
            w.suspend()
            Self.fallbacks.increment()
            WireClient.logger.warning("Strata wire call failed; answering over gRPC", metadata: ["endpoint": "\(name)", "err": "\(error)"])
            return false
        }
    }

    /// `body` within `timeout`, unless an enclosing `withTimeout` (the query's limit) ends sooner.
    func bounded(_ body: @escaping @Sendable () async throws -> Void) async throws {
        if TaskDeadline.covers(timeout) { try await body() } else { try await withTimeout(timeout, body) }
    }

    /// Each call's options: `timeout` as its deadline, unless an enclosing `withTimeout` (the
    /// query's limit) ends sooner and cancels the call itself; a gRPC deadline starts a timer
    /// task on both ends of every call.
    var options: CallOptions {
        var o = CallOptions.defaults
        o.maxResponseMessageBytes = Int(Int32.max)
        if !TaskDeadline.covers(timeout) { o.timeout = timeout }
        return o
    }

    deinit {
        client.beginGracefulShutdown()
        wire.withLock { $0 }?.close()
    }

    /// A gRPC client for `host:port` as Strata dials its peers (also the receivers' write
    /// forwarding); the caller runs its connections and shuts it down.
    public static func makeClient(target: String, tls: ClientTLSConfig?) throws -> GRPCClient<HTTP2ClientTransport.Posix> {
        guard let (host, port) = HostPort.split(target) else {
            throw StoreError.invalidArgument("store address must be host:port, got \"\(target)\"")
        }
        // Reconnect quickly (50 ms, growing to 5 s) instead of gRPC's 1 s..120 s: a store that
        // starts a moment after the querier, or restarts, is queried again within a probe.
        let config = HTTP2ClientTransport.Posix.Config.defaults { c in
            c.backoff = .init(initial: .milliseconds(50), max: .seconds(5), multiplier: 1.6, jitter: 0.2)
            // The name checked in the server's certificate and sent as SNI.
            if let name = tls?.serverName { c.http2.authority = name }
        }
        // An IP literal is dialled as such: through the DNS resolver it would become the TLS
        // server name, and IP addresses are not valid SNI (the certificate's IP SAN is checked).
        let resolvable: any ResolvableTarget = Self.isIPv4(host) ? .ipv4(host: host, port: port)
            : host.contains(":") ? .ipv6(host: host, port: port) : .dns(host: host, port: port)
        let transport = try HTTP2ClientTransport.Posix(target: resolvable,
                                                       transportSecurity: try Self.transportSecurity(tls), config: config)
        return GRPCClient(transport: transport)
    }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// grpc-swift's client TLS from Strata's settings (files were checked by the caller).
    /// grpc-swift pins the client's lowest version at TLS 1.2; servers set their own floor.
    static func transportSecurity(_ tls: ClientTLSConfig?) throws -> HTTP2ClientTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        return .tls { c in
            if let cert = tls.certFile, let key = tls.keyFile {
                c.certificateChain = [.file(path: cert, format: .pem)]
                c.privateKey = .file(path: key, format: .pem)
            }
            if let ca = tls.caFile { c.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
            c.serverCertificateVerification = tls.insecureSkipVerify ? .noVerification : .fullVerification
        }
    }

    public func close() {
        client.beginGracefulShutdown()
        wire.withLock { $0 }?.close()
    }

    var store: Thanos_Store.Client<HTTP2ClientTransport.Posix> { Thanos_Store.Client(wrapping: client) }

    public func info() async throws -> Thanos_Info_InfoResponse {
        let info = try await Thanos_Info_Info.Client(wrapping: client).info(Thanos_Info_InfoRequest(), options: options)
        adoptWire(from: info)
        return info
    }

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        try await seriesAnswers(request) { try await onResponse($0.message) }
    }

    /// Over the wire, series of raw XOR chunks as slices of their frame (`SeriesFrameDeserializer.
    /// selectedSeries`), everything else as messages (read by `SeriesFrameDeserializer`: one
    /// pass, no generic visitor); batches reach callers as single series.
    public func seriesAnswers(_ request: Thanos_SeriesRequest,
                              onAnswer: @escaping @Sendable (SeriesAnswer) async throws -> Void) async throws {
        @Sendable func deliver(_ message: Thanos_SeriesResponse) async throws {
            if case .batch(let b)? = message.result {
                for s in b.series { try await onAnswer(.message(.series(s))) }
            } else {
                try await onAnswer(.message(message))
            }
        }
        if try await overWire(.series, request, onMessage: { frame in
            let bytes = Array(frame.readableBytesView)
            if let list = SeriesFrameDeserializer.selectedSeries(bytes) {
                for s in list { try await onAnswer(.series(s)) }
            } else {
                try await deliver(SeriesFrameDeserializer().deserialize(bytes))
            }
        }) {
            return
        }
        try await store.series(request: ClientRequest(message: request), serializer: ProtobufSerializer<Thanos_SeriesRequest>(),
                               deserializer: SeriesFrameDeserializer(), options: options) { response in
            for try await message in response.messages { try await deliver(message) }
        }
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        try await store.labelNames(request, options: options)
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        try await store.labelValues(request, options: options)
    }
}
