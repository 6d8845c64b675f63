import GRPCCore
import GRPCProtobuf
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import StrataSecurity
import Synchronization

/// Serves a store's Series calls and its pushed-down queries over the wire (WireFrame.swift),
/// next to its gRPC server and with the same TLS: the same certificate (re-read when its files
/// change), minimum version and client-certificate checks.
final class WireServer: Sendable {
    let host: String
    let port: Int
    let tls: ServerTLS?
    let calls: WireCalls
    private let state = Mutex<State>(State())

    struct State {
        var listener: (any Channel)?
        var port: Int?
        var closing = false
        /// Open connections, to close at shutdown.
        var connections: [ObjectIdentifier: NIOLoopBound<WireServerHandler>] = [:]
    }

    init(host: String, port: Int, tls: ServerTLS?, store: any StoreClient, pushdown: (any PushdownAPI)?) {
        self.host = host
        self.port = port
        self.tls = tls
        calls = WireCalls(store: store, pushdown: pushdown)
    }

    /// The bound port, once listening.
    var boundPort: Int? { state.withLock { $0.port } }

    /// Binds and starts accepting.
    func start() async throws {
        let context = try tls?.makeContext(applicationProtocols: [])
        let calls = self.calls
        let ch: any Channel
        do {
            ch = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Wire.setKeepalive(channel)
                        let ops = channel.pipeline.syncOperations
                        if let context {
                            try ops.addHandler(NIOSSLServerHandler(context: context))
                            try ops.addHandler(TLSFailureReporter())
                        }
                        try ops.addHandler(ByteToMessageHandler(WireFrameDecoder.server))
                        try ops.addHandler(WireServerHandler(calls: calls, server: self))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw StoreError.unavailable("Strata wire: cannot listen on \(host):\(port): \(error)")
        }
        state.withLock {
            $0.listener = ch
            $0.port = ch.localAddress?.port ?? port
        }
    }

    /// Stops accepting and closes every connection once its running call has ended, as
    /// gRPC's graceful shutdown lets running calls finish.
    func close() {
        let (listener, open) = state.withLock { st in
            st.closing = true
            return (st.listener, Array(st.connections.values))
        }
        listener?.close(promise: nil)
        for h in open { h.eventLoop.execute { h.value.closeWhenIdle() } }
    }

    /// Registers a new connection; false when closing (the connection is to close).
    func opened(_ handler: NIOLoopBound<WireServerHandler>) -> Bool {
        state.withLock { st in
            guard !st.closing else { return false }
            st.connections[ObjectIdentifier(handler.value)] = handler
            return true
        }
    }

    func closed(_ handler: WireServerHandler) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(handler)) }
    }

    var closing: Bool { state.withLock { $0.closing } }
}

/// The calls the wire serves, as the gRPC services serve them.
final class WireCalls: Sendable {
    /// Connections refused for not speaking the wire (not its preface, call frames above
    /// 16 MiB, frames out of turn): a misconfigured client or a scanner, never a user's query.
    static let protocolErrors = Counter(label: "strata_wire_server_protocol_errors_total")
    static let calls = Counter(label: "strata_wire_server_calls_total")
    /// Calls that ended in an error, by gRPC code named as in Thanos's
    /// `grpc_server_handled_total{grpc_code}`: `InvalidArgument` is a user's bad regex,
    /// `Unimplemented` a declined pushdown, `Internal` or `Unavailable` is ours to look at.
    static let failedCalls: [Counter] = goCodeNames.map {
        Counter(label: "strata_wire_server_failed_calls_total", dimensions: [("code", $0)])
    }
    /// `codes.Code.String()` of grpc-go, indexed by the status code.
    static let goCodeNames = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
                              "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
                              "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"]
    static let logger = Logger(label: "wire")
    let store: any StoreClient
    let pushdown: (any PushdownAPI)?
    /// Calls this server ran: in-process tests tell their servers apart by it (the metric is
    /// one per process).
    let served = Atomic(0)

    init(store: any StoreClient, pushdown: (any PushdownAPI)?) {
        self.store = store
        self.pushdown = pushdown
    }

    /// Runs one call, writing its answers to `channel`; returns the frames still to write,
    /// ending with the call's last frame (end or error).
    func serve(_ payload: ByteBuffer, on channel: any Channel) async -> [ByteBuffer] {
        let out = WireSender(channel: channel)
        served.add(1, ordering: .relaxed)
        Self.calls.increment()
        do {
            var p = payload
            guard let method = p.readInteger(as: UInt8.self).flatMap(Wire.Method.init) else {
                throw StoreError.unimplemented("unknown Strata wire method")
            }
            switch method {
            case .series:
                let request = try ProtobufDeserializer<Thanos_SeriesRequest>().deserialize(WireBytes(p))
                try await Self.series(store, request, out)
            case .queryRange:
                guard let pushdown else { throw StoreError.unimplemented("this endpoint does not serve the Query API") }
                let request = try ProtobufDeserializer<Thanos_QueryRangeRequest>().deserialize(WireBytes(p))
                try await pushdown.queryRangeAnswers(request) { answer in
                    switch answer {
                    case .floats(let list, _): try await out.send([list], FloatBatchSerializer())
                    case .message(let m): try await out.send([m], QueryRangeFrameSerializer())
                    }
                }
            }
            return out.rest() + [Wire.frame(.end, allocator: channel.allocator)]
        } catch {
            let (code, message) = Wire.status(error)
            if !(error is CancellationError) { Self.failedCalls[code.rawValue].increment() }
            return out.rest() + [Wire.error(code, message, allocator: channel.allocator)]
        }
    }
}

extension WireCalls {
    /// A Series call's answer: series as the store holds them, written straight into frames
    /// of the request's `response_batch_size` series (as `ResponseBatch` groups messages);
    /// warnings and hints as messages, in the order the store gave them.
    static func series(_ store: any StoreClient, _ request: Thanos_SeriesRequest, _ out: WireSender) async throws {
        let messages = ResponseBatch(seriesPerMessage: request.responseBatchSize)
        let perMessage = messages.seriesPerMessage
        let serializer = SelectedSeriesSerializer(batch: perMessage > 1)
        let pending = Mutex<[SelectedSeries]>([])
        @Sendable func flushSeries() async throws {
            let list = pending.withLock { p in defer { p = [] }; return p }
            if !list.isEmpty { try await out.send([list], serializer) }
        }
        @Sendable func flushMessages() async throws {
            let rest = messages.drain()
            if !rest.isEmpty { try await out.send(rest, SeriesFrameSerializer()) }
        }
        try await store.seriesAnswers(request) { answer in
            switch answer {
            case .series(let s):
                try await flushMessages()
                let full = pending.withLock { p -> [SelectedSeries]? in
                    p.append(s)
                    guard p.count >= perMessage else { return nil }
                    defer { p = [] }
                    return p
                }
                if let full { try await out.send([full], serializer) }
            case .message(let m):
                try await flushSeries()
                if let full = messages.add(m) { try await out.send(full, SeriesFrameSerializer()) }
            }
        }
        try await flushSeries()
        try await flushMessages()
    }
}

/// Gathers a call's answer frames and writes them in batches, each batch in one event-loop
/// job (a job per message cost more than encoding it), waiting only when the connection's
/// outbound buffer is full (the client reads slower than we answer). What is left at the end
/// goes out with the call's last frame.
final class WireSender: Sendable {
    static let batchFrames = 64
    static let batchBytes = 256 << 10
    let channel: any Channel
    private let pending = Mutex<(frames: [ByteBuffer], bytes: Int)>(([], 0))

    init(channel: any Channel) { self.channel = channel }

    func send<S: MessageSerializer>(_ messages: [S.Message], _ serializer: S) async throws {
        var framed: [ByteBuffer] = []
        framed.reserveCapacity(messages.count)
        for m in messages {
            var bytes: WireBytes = try serializer.serialize(m)
            framed.append(bytes.framed(.message))
        }
        let full = pending.withLock { p -> [ByteBuffer]? in
            p.frames += framed
            p.bytes += framed.reduce(0) { $0 + $1.readableBytes }
            guard p.frames.count >= Self.batchFrames || p.bytes >= Self.batchBytes else { return nil }
            defer { p = ([], 0) }
            return p.frames
        }
        guard let full else { return }
        let done = channel.eventLoop.makePromise(of: Void.self)
        Self.write(full, to: channel, promise: done)
        if !channel.isWritable { try await done.futureResult.get() }
        try Task.checkCancellation()
    }

    /// The frames not yet written.
    func rest() -> [ByteBuffer] { pending.withLock { p in defer { p = ([], 0) }; return p.frames } }

    /// Writes `frames` and flushes once, in one event-loop job.
    static func write(_ frames: [ByteBuffer], to channel: any Channel, promise: EventLoopPromise<Void>?) {
        channel.eventLoop.execute { writeOnLoop(frames, to: channel, promise: promise) }
    }

    static func writeOnLoop(_ frames: [ByteBuffer], to channel: any Channel, promise: EventLoopPromise<Void>?) {
        channel.eventLoop.preconditionInEventLoop()
        for f in frames.dropLast() { channel.write(f, promise: nil) }
        if let last = frames.last { channel.writeAndFlush(last, promise: promise) } else { promise?.succeed() }
    }
}

/// One connection: one call at a time, each in its own task, cancelled when the connection
/// closes. The call's last frame is written in the same event-loop turn that marks the
/// connection idle again, so the client's next call never finds it busy.
final class WireServerHandler: ChannelInboundHandler {
    typealias InboundIn = WireFrame
    let calls: WireCalls
    let server: WireServer
    private var running: Task<Void, Never>?
    private var context: ChannelHandlerContext?
    /// The connection's event loop, where its calls run (`EventLoopExecutor`).
    private var executor: EventLoopExecutor?

    init(calls: WireCalls, server: WireServer) {
        self.calls = calls
        self.server = server
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopExecutor(context.eventLoop)
        if !server.opened(NIOLoopBound(self, eventLoop: context.eventLoop)) { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        server.closed(self)
        self.context = nil
    }

    /// At shutdown: closes now when no call runs, else after the call's last frame.
    func closeWhenIdle() {
        if running == nil { context?.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.kind == .call, running == nil else {
            WireCalls.protocolErrors.increment()
            WireCalls.logger.warning("Strata wire client sent a frame out of turn; closing", metadata: [
                "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
            return
        }
        let channel = context.channel, calls = self.calls
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        running = Task(executorPreference: executor) {
            let last = await calls.serve(frame.payload, on: channel)
            channel.eventLoop.execute {
                handler.value.running = nil
                WireSender.writeOnLoop(last, to: channel, promise: nil)
                if handler.value.server.closing { channel.close(promise: nil) }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        running?.cancel()
        running = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if case WireError.protocolViolation = error {
            WireCalls.protocolErrors.increment()
            WireCalls.logger.warning("refused a connection on the Strata wire port", metadata: [
                "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "err": "\(error)"])
        }
        context.close(promise: nil)
    }
}
