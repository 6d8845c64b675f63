import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A plain HTTP/1.1 listener on a free 127.0.0.1 port for test doubles that must misbehave on
/// demand (the S3 fault proxy, the fake Alertmanager): it accepts connections, reads each
/// request whole and hands it to the responder, which writes the answer (or none) and returns
/// false to drop the connection.
public final class TestHTTPServer: Sendable {
    public typealias Responder = @Sendable (HTTPRequestHead, ByteBuffer, NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool

    public let port: Int
    private let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(port: Int, server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>) {
        self.port = port
        self.server = server
    }

    /// Listens; requests wait until `serve` names who answers them.
    public static func bind() async throws -> TestHTTPServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        return TestHTTPServer(port: server.channel.localAddress!.port!, server: server)
    }

    /// Answers every request with `respond` until `stop`.
    public func serve(_ respond: @escaping Responder) {
        let t = Task { [server] () -> Void in
            try? await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { try? await Self.handle(connection, respond) }
                    }
                }
            }
        }
        task.withLock { $0 = t }
    }

    private static func handle(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, _ respond: Responder) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var b):
                    body.writeBuffer(&b)
                case .end:
                    guard let h = head else { return }
                    if try await !respond(h, body, outbound) { return }
                }
            }
        }
    }

    /// Stops listening and drops every connection, hanging ones included.
    public func stop() async {
        try? await server.channel.close()
        let t = task.withLock { $0 }
        t?.cancel()
        await t?.value
    }
}
