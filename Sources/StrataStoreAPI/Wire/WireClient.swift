import GRPCCore
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import SwiftProtobuf
import Synchronization

/// The wire (WireFrame.swift) to one endpoint: calls on pooled connections, one call per
/// connection at a time. Usable once a first connection has been made (`warmUp`, at the Info
/// probe that found the port), so a port the querier cannot reach — a firewall, another
/// interface — never makes a query wait for a dial: its calls keep going over gRPC.
final class WireClient: Sendable {
    static let maxIdle = 16
    static let logger = Logger(label: "wire")
    static let dialFailures = Counter(label: "strata_wire_client_dial_failures_total")
    let host: String
    let port: Int
    let tls: NIOSSLContext?
    let serverName: String?
    /// When a connection stops reading from the socket: frames or bytes waiting unread.
    let highWater: WireInbox.HighWater
    private let state = Mutex<State>(State())

    struct State {
        var idle: [WireConnection] = []
        var ready = false
        var warming = false
        var closed = false
        /// The unreachable port was logged; again only after it worked.
        var warned = false
    }

    init(host: String, port: Int, tls: NIOSSLContext?, serverName: String?, highWater: WireInbox.HighWater = .init()) {
        self.host = host
        self.port = port
        self.tls = tls
        self.serverName = serverName
        self.highWater = highWater
    }

    var ready: Bool { state.withLock { $0.ready && !$0.closed } }

    /// Whether an idle connection ever paused reading for a slow caller (tests).
    var idleConnectionPaused: Bool { state.withLock { $0.idle.contains { $0.inbox.everHeld } } }

    /// The idle connections' channels (tests read their socket options).
    var idleChannels: [any Channel] { state.withLock { $0.idle.map(\.channel) } }

    /// Dials once in the background unless ready or already dialling, and keeps the
    /// connection; the client is ready when that worked.
    func warmUp() {
        let go = state.withLock { st -> Bool in
            guard !st.ready, !st.warming, !st.closed else { return false }
            st.warming = true
            return true
        }
        guard go else { return }
        Task {
            do {
                let c = try await WireConnection.dial(self)
                state.withLock { $0.ready = true; $0.warming = false; $0.warned = false }
                release(c)
            } catch {
                Self.dialFailures.increment()
                let warn = state.withLock { st -> Bool in
                    st.warming = false
                    defer { st.warned = true }
                    return !st.warned
                }
                // Probes retry every --store.sd-interval: logged once until it works.
                if warn {
                    Self.logger.warning("Strata wire port not reachable; this endpoint's calls stay on gRPC", metadata: [
                        "endpoint": "\(host):\(port)", "err": "\(error)"])
                }
            }
        }
    }

    /// Takes the client out of use after a failure outside a call's own error (the endpoint's
    /// next Info probe warms it up again).
    func suspend() {
        let conns = state.withLock { st -> [WireConnection] in
            st.ready = false
            defer { st.idle = [] }
            return st.idle
        }
        for c in conns { c.channel.close(promise: nil) }
    }

    func close() {
        state.withLock { $0.closed = true }
        suspend()
    }

    /// One call: `onMessage` gets each answer message in order. Throws the call's `RPCError`
    /// when the endpoint answered with one, `WireError` when the connection failed.
    func call(_ method: Wire.Method, _ request: some SwiftProtobuf.Message,
              onMessage: (ByteBuffer) async throws -> Void) async throws {
        let frame = try Wire.call(method, request, allocator: ByteBufferAllocator())
        var retried = false
        while true {
            let (conn, reused) = try await acquire()
            let outcome: RPCError?
            var answered = false
            do {
                outcome = try await conn.run(frame) { answered = true; try await onMessage($0) }
            } catch {
                conn.channel.close(promise: nil)
                if Task.isCancelled { throw CancellationError() }
                // An idle connection the endpoint closed meanwhile (a restart, an idle
                // timeout): the call never started there, so it goes on a fresh one.
                if reused && !answered && !retried, error is WireError {
                    retried = true
                    continue
                }
                throw error
            }
            release(conn)
            if let outcome { throw outcome }
            return
        }
    }

    /// An idle connection served by the event loop this task runs on, else a new one dialled
    /// there: the answer's frames are read in the loop that resumes the call, instead of waking
    /// another thread for each (half the calls, with connections on any loop). A caller off
    /// the event loops takes any idle connection.
    private func acquire() async throws -> (WireConnection, reused: Bool) {
        let here = MultiThreadedEventLoopGroup.currentEventLoop
        while let c = state.withLock({ st -> WireConnection? in
            guard let here else { return st.idle.popLast() }
            return st.idle.lastIndex { $0.channel.eventLoop === here }.map { st.idle.remove(at: $0) }
        }) {
            if c.channel.isActive { return (c, true) }
            c.channel.close(promise: nil)
        }
        return (try await WireConnection.dial(self, on: here), false)
    }

    /// Keeps `c` idle; beyond `maxIdle` the longest idle goes (so every loop keeps its own).
    private func release(_ c: WireConnection) {
        let closing = state.withLock { st -> WireConnection? in
            guard !st.closed else { return c }
            st.idle.append(c)
            return st.idle.count > Self.maxIdle ? st.idle.removeFirst() : nil
        }
        closing?.channel.close(promise: nil)
    }
}

/// One connection of a `WireClient`.
struct WireConnection: Sendable {
    let channel: any Channel
    let inbox: WireInbox

    static func dial(_ client: WireClient, on loop: (any EventLoop)? = nil) async throws -> WireConnection {
        let inbox = WireInbox(highWater: client.highWater)
        let tls = client.tls, serverName = client.serverName
        do {
            let channel = try await ClientBootstrap(group: loop ?? MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Wire.setKeepalive(channel)
                        let ops = channel.pipeline.syncOperations
                        if let tls {
                            // No SNI for an IP literal; the certificate is then checked against the IP.
                            try ops.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try ops.addHandler(ByteToMessageHandler(WireFrameDecoder.client))
                        try ops.addHandler(inbox)
                    }
                }
                .connect(host: client.host, port: client.port).get()
            channel.write(ByteBuffer(bytes: Wire.preface), promise: nil)
            return WireConnection(channel: channel, inbox: inbox)
        } catch {
            throw WireError.connectionClosed("dialling \(client.host):\(client.port): \(error)")
        }
    }

    /// Sends the call and reads its answer; nil when it ended well, the endpoint's error when
    /// it answered with one (the connection stays usable either way). Throws when the
    /// connection failed or `onMessage` threw; the caller closes the connection then.
    func run(_ call: ByteBuffer, onMessage: (ByteBuffer) async throws -> Void) async throws -> RPCError? {
        let channel = self.channel
        channel.writeAndFlush(call, promise: nil)
        return try await withTaskCancellationHandler {
            while true {
                let frame = try await inbox.next()
                switch frame.kind {
                case .message: try await onMessage(frame.payload)
                case .end: return nil
                case .error: return Wire.rpcError(frame.payload)
                case .call: throw WireError.protocolViolation("the endpoint sent a call frame")
                }
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// Frames received on a connection, handed to the call reading them. Reading from the socket
/// pauses while `highWater` frames or bytes wait unread, so a slow reader holds the endpoint
/// back through TCP instead of growing this buffer.
final class WireInbox: ChannelDuplexHandler, Sendable {
    typealias InboundIn = WireFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct HighWater: Sendable {
        var frames = 256
        var bytes = 8 << 20
    }

    private let state: Mutex<State>

    init(highWater: HighWater) { state = Mutex(State(highWater: highWater)) }

    struct State {
        let highWater: HighWater
        var frames: [WireFrame] = []
        var head = 0
        var bytes = 0
        var waiter: CheckedContinuation<WireFrame, Error>?
        var failure: Error?
        var readHeld = false
        var channel: (any Channel)?

        /// Reading was held at least once (tests check that back-pressure engaged).
        var everHeld = false

        var full: Bool { frames.count - head >= highWater.frames || bytes >= highWater.bytes }

        mutating func pop() -> WireFrame? {
            guard head < frames.count else { return nil }
            let f = frames[head]
            head += 1
            bytes -= f.payload.readableBytes
            if head == frames.count { frames.removeAll(keepingCapacity: true); head = 0 }
            return f
        }
    }

    var everHeld: Bool { state.withLock { $0.everHeld } }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        state.withLock { $0.channel = channel }
    }

    /// The next frame, waiting for it if none is buffered.
    func next() async throws -> WireFrame {
        // Buffered frames (most of a long answer) are taken without suspending.
        if let ready = take(orWait: nil) { return try ready.get() }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<WireFrame, Error>) in
            if let ready = take(orWait: cont) { cont.resume(with: ready) }
        }
    }

    /// A buffered frame or the connection's failure; otherwise nil, and `waiter` (if any)
    /// is resumed by the next frame or failure. Resumes reading when it was held.
    private func take(orWait waiter: CheckedContinuation<WireFrame, Error>?) -> Result<WireFrame, Error>? {
        let (out, resume) = state.withLock { st -> (Result<WireFrame, Error>?, (any Channel)?) in
            if let f = st.pop() {
                var resume: (any Channel)?
                if st.readHeld && !st.full { st.readHeld = false; resume = st.channel }
                return (.success(f), resume)
            }
            if let e = st.failure { return (.failure(e), nil) }
            if let waiter { st.waiter = waiter }
            return (nil, nil)
        }
        resume?.read()
        return out
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let waiter = state.withLock { st -> CheckedContinuation<WireFrame, Error>? in
            if let w = st.waiter {
                st.waiter = nil
                return w
            }
            st.frames.append(frame)
            st.bytes += frame.payload.readableBytes
            return nil
        }
        waiter?.resume(returning: frame)
    }

    func read(context: ChannelHandlerContext) {
        let hold = state.withLock { st -> Bool in
            if st.full { st.readHeld = true; st.everHeld = true }
            return st.full
        }
        if !hold { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(WireError.connectionClosed("by the endpoint"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error is WireError ? error : WireError.connectionClosed("\(error)"))
        context.close(promise: nil)
    }

    private func fail(_ error: Error) {
        let waiter = state.withLock { st -> CheckedContinuation<WireFrame, Error>? in
            if st.failure == nil { st.failure = error }
            defer { st.waiter = nil }
            return st.waiter
        }
        waiter?.resume(throwing: error)
    }
}
