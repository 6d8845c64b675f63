import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP proxy between the S3 client and moto that misbehaves on purpose.
///
/// Each request gets a number; `plan` decides what happens to it: forward it untouched,
/// answer 500 without forwarding, drop the connection before forwarding, forward and then
/// drop the connection halfway through the answer, forward and answer too late, or answer
/// a fixed status (403/404) without any upstream at all. Used by the object-store tests and
/// by the chaos system tests (Tests/StrataSystemTests/Chaos*), which put it in front of moto
/// for the real service binaries.
public final class FaultProxy: Sendable {
    public enum Fault: Sendable, Equatable {
        case none
        case error500
        case dropBeforeForward
        case dropMidBody
        case slow(milliseconds: Int)
        case status(Int, code: String)
    }

    public struct Stats: Sendable {
        public var requests = 0
        public var faults: [String: Int] = [:]
        /// Requests that got a fault of any kind.
        public var faulted: Int { faults.values.reduce(0, +) }
    }

    public var port: Int { server.port }
    private let upstream: String?
    private let plan: @Sendable (Int, HTTPRequestHead) -> Fault
    private let client: HTTPClient
    private let server: TestHTTPServer
    private let stats = Mutex(Stats())

    public var snapshot: Stats { stats.withLock { $0 } }

    private init(upstream: String?, plan: @escaping @Sendable (Int, HTTPRequestHead) -> Fault, server: TestHTTPServer) {
        self.upstream = upstream
        self.plan = plan
        self.server = server
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                 configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(60))))
    }

    /// Starts listening on a free 127.0.0.1 port. `upstream` is `host:port` or nil when
    /// every request is answered by the plan.
    public static func start(upstream: String?, plan: @escaping @Sendable (Int, HTTPRequestHead) -> Fault) async throws -> FaultProxy {
        let server = try await TestHTTPServer.bind()
        let proxy = FaultProxy(upstream: upstream, plan: plan, server: server)
        server.serve { head, body, out in try await proxy.respond(head, body: body, out) }
        return proxy
    }

    public func stop() async {
        await server.stop()
        try? await client.shutdown()
    }

    /// Returns false when the connection must be closed (a simulated drop).
    private func respond(_ head: HTTPRequestHead, body: ByteBuffer,
                         _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        let n = stats.withLock { s -> Int in
            s.requests += 1
            return s.requests
        }
        let fault = plan(n, head)
        if fault != .none {
            stats.withLock { $0.faults["\(fault)", default: 0] += 1 }
        }
        switch fault {
        case .error500:
            try await writeError(out, status: 500, code: "InternalError")
            return true
        case .status(let s, let code):
            try await writeError(out, status: s, code: code, head: head.method == .HEAD)
            return true
        case .dropBeforeForward:
            return false
        case .none, .dropMidBody, .slow:
            break
        }
        guard let upstream else {
            try await writeError(out, status: 502, code: "NoUpstream")
            return true
        }
        var req = HTTPClientRequest(url: "http://\(upstream)\(head.uri)")
        req.method = head.method
        for (name, value) in head.headers {
            let lower = name.lowercased()
            if lower == "host" || lower == "content-length" || lower == "transfer-encoding" || lower == "connection" { continue }
            req.headers.add(name: name, value: value)
        }
        if body.readableBytes > 0 || head.method == .PUT || head.method == .POST {
            req.body = .bytes(body)
        }
        let response = try await client.execute(req, timeout: .seconds(60))
        if case .slow(let ms) = fault {
            try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
        }
        var headers = response.headers
        headers.remove(name: "transfer-encoding")
        headers.remove(name: "connection")
        let full = try await response.body.collect(upTo: 256 << 20)
        if head.method != .HEAD {
            headers.replaceOrAdd(name: "content-length", value: String(full.readableBytes))
        }
        if case .dropMidBody = fault {
            // Lose the answer: either the whole of it (after the upstream did the work) or
            // its second half.
            if full.readableBytes < 2 || head.method == .HEAD { return false }
            try await out.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
            try await out.write(.body(.byteBuffer(full.getSlice(at: full.readerIndex, length: full.readableBytes / 2)!)))
            return false
        }
        try await out.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        if head.method != .HEAD && full.readableBytes > 0 {
            try await out.write(.body(.byteBuffer(full)))
        }
        try await out.write(.end(nil))
        return true
    }

    private func writeError(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, status: Int, code: String,
                            head: Bool = false) async throws {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>injected by the test proxy</Message></Error>"
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/xml")
        headers.add(name: "content-length", value: head ? "0" : String(xml.utf8.count))
        try await out.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)))
        if !head { try await out.write(.body(.byteBuffer(ByteBuffer(string: xml)))) }
        try await out.write(.end(nil))
    }
}
