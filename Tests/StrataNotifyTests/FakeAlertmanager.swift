import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StrataCore
import StrataTestSupport
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

    var port: Int { server.port }
    private let plan: @Sendable (Int) -> Answer
    private let server: TestHTTPServer
    private let log = Mutex<[Request]>([])

    var address: String { "127.0.0.1:\(port)" }
    var requests: [Request] { log.withLock { $0 } }
    /// Every alert of every request answered 2xx or not, in arrival order.
    var receivedAlerts: [JSONValue] { requests.flatMap(\.alerts) }

    private init(plan: @escaping @Sendable (Int) -> Answer, server: TestHTTPServer) {
        self.plan = plan
        self.server = server
    }

    static func start(plan: @escaping @Sendable (Int) -> Answer = { _ in .status(200) }) async throws -> FakeAlertmanager {
        let server = try await TestHTTPServer.bind()
        let fake = FakeAlertmanager(plan: plan, server: server)
        server.serve { head, body, out in try await fake.respond(head, body, out) }
        return fake
    }

    /// Stops listening and drops every connection, hanging ones included.
    func stop() async { await server.stop() }

    /// Records the request and answers it as planned (false: drop the connection).
    private func respond(_ h: HTTPRequestHead, _ body: ByteBuffer,
                         _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        let n = log.withLock { l -> Int in
            l.append(Request(method: "\(h.method)", uri: h.uri, headers: h.headers.map { ($0.name, $0.value) },
                             body: String(buffer: body), at: .now))
            return l.count
        }
        switch plan(n) {
        case .hang:
            try await Task.sleep(for: .seconds(3600))
            return false
        case .stallBody:
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "100")
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            try await Task.sleep(for: .seconds(3600))
            return false
        case .status(let code):
            let text = code / 100 == 2 ? "" : "injected \(code)"
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/plain")
            headers.add(name: "content-length", value: String(text.utf8.count))
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers)))
            if !text.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text)))) }
            try await outbound.write(.end(nil))
        }
        return true
    }
}
