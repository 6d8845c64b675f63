import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StrataCore
import Synchronization

/// An HTTP server standing in for an Alertmanager that misbehaves on demand — no real
/// component answers 500 or hangs when asked to. Each request gets a number (from 1); the
/// plan says whether it is answered with a status or never answered at all. Every request is
/// recorded, with its body parsed when it is JSON.
final class FakeAlertmanager: Sendable {
    enum Answer: Sendable, Equatable {
        case status(Int)
        /// Read the request, never answer (the connection stays open until `stop`).
        case hang
        /// Answer 200 with a 100-byte body, send none of it and stay silent.
        case stallBody
    }

    struct Request: Sendable {
        let method: String
        let uri: String
        let headers: [(String, String)]
        let body: String
        let at: ContinuousClock.Instant

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        /// The posted alerts (an empty list when the body is not a JSON array).
        var alerts: [JSONValue] { (try? JSONValue(parsing: body))?.arrayValue ?? [] }
    }

    let port: Int
    private let plan: @Sendable (Int) -> Answer
    private let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let log = Mutex<[Request]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    var address: String { "127.0.0.1:\(port)" }
    var requests: [Request] { log.withLock { $0 } }
    /// Every alert of every request answered 2xx or not, in arrival order.
    var receivedAlerts: [JSONValue] { requests.flatMap(\.alerts) }

    private init(port: Int, plan: @escaping @Sendable (Int) -> Answer,
                 server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>) {
        self.port = port
        self.plan = plan
        self.server = server
    }

    static func start(plan: @escaping @Sendable (Int) -> Answer = { _ in .status(200) }) async throws -> FakeAlertmanager {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let fake = FakeAlertmanager(port: server.channel.localAddress!.port!, plan: plan, server: server)
        let t = Task { await fake.serve() }
        fake.task.withLock { $0 = t }
        return fake
    }

    /// Stops listening and drops every connection, hanging ones included.
    func stop() async {
        try? await server.channel.close()
        let t = task.withLock { $0 }
        t?.cancel()
        await t?.value
    }

    private func serve() async {
        try? await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask { try? await self.handle(connection) }
                }
            }
        }
    }

    private func handle(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
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
                    let n = log.withLock { l -> Int in
                        l.append(Request(method: "\(h.method)", uri: h.uri, headers: h.headers.map { ($0.name, $0.value) },
                                         body: String(buffer: body), at: .now))
                        return l.count
                    }
                    switch plan(n) {
                    case .hang:
                        try await Task.sleep(for: .seconds(3600))
                        return
                    case .stallBody:
                        var headers = HTTPHeaders()
                        headers.add(name: "content-length", value: "100")
                        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
                        try await Task.sleep(for: .seconds(3600))
                        return
                    case .status(let code):
                        let text = code / 100 == 2 ? "" : "injected \(code)"
                        var headers = HTTPHeaders()
                        headers.add(name: "content-type", value: "text/plain")
                        headers.add(name: "content-length", value: String(text.utf8.count))
                        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers)))
                        if !text.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text)))) }
                        try await outbound.write(.end(nil))
                    }
                }
            }
        }
    }
}
