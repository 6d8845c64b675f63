import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import Logging
import Metrics
import NIOSSL
import StrataSecurity
import Synchronization

/// How a Strata gRPC server accepts connections: grpc-swift's HTTP/2 pipeline behind our own
/// listener, so that TLS is configured in full — the lowest version (Thanos's
/// `--grpc-server-tls-min-version`, which grpc-swift's built-in TLS pins at 1.2), client
/// certificates checked against a CA (mTLS), and the certificate re-read when its files
/// change (`ServerTLS`). Without `tls` the listener is plaintext.
struct GRPCListener: HTTP2ServerTransport.ListenerFactory {
    let host: String
    let port: Int
    let tls: ServerTLS?
    let eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    func makeListeningChannel(listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
                              connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator)
        async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        // gRPC clients (grpc-go, grpcio) require ALPN "h2" from a TLS server.
        let context = try tls?.makeContext(applicationProtocols: ["h2"])
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in listenerConfigurator.configure(channel: channel) }
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.addHandler(TLSFailureReporter())
                    }
                }.flatMap {
                    connectionConfigurator.configure(channel: channel, tls: context == nil ? .none : .configured(requireALPN: false))
                }
            }
    }
}

/// Makes refused TLS clients visible: a failed handshake (no client certificate, an expired
/// or foreign one, a protocol below the minimum) counts
/// `strata_grpc_server_tls_handshake_failures_total` and is logged — at most once per 10 s,
/// so a scanner cannot flood the log. The error still closes the connection as before.
final class TLSFailureReporter: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    static let logger = Logger(label: "grpc-tls")
    static let lastLog = Mutex<ContinuousClock.Instant?>(nil)

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            Counter(label: "strata_grpc_server_tls_handshake_failures_total").increment()
            let now = ContinuousClock.now
            let due = Self.lastLog.withLock { last in
                guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
                last = now
                return true
            }
            if due {
                Self.logger.warning("TLS handshake with a gRPC or wire client failed", metadata: [
                    "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "err": "\(error)"])
            }
        }
        context.fireErrorCaught(error)
    }
}
