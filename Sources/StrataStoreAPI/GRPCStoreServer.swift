import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import StrataCore
import StrataSecurity
import SwiftProtobuf
import Synchronization

/// Serves any `StoreClient` over gRPC as `thanos.Store` and `thanos.info.Info`, wire-compatible
/// with Thanos: Thanos queriers can use Strata stores and the other way round. A component
/// that also serves Targets, Metadata, Exemplars or Rules passes them in `apis`: they are
/// registered on the same port and advertised in the Info answer.
public final class GRPCStoreServer: Sendable {
    let server: GRPCServer<HTTP2ServerTransport.Custom<GRPCListener>>
    let transport: HTTP2ServerTransport.Custom<GRPCListener>
    /// Strata's wire for Series and pushed-down queries (WireFrame.swift); nil: `--wire-address=off`.
    let wire: WireServer?

    /// Port 0 picks a free port (see `boundPort`). `tls`: nil serves plaintext (gRPC and wire).
    /// `services`: more services on the same port (the receiver's `thanos.WriteableStore`).
    public init(store: any StoreClient, host: String, port: Int, tls: ServerTLS? = nil, wire: WireListen = .auto,
                apis: FleetAPIs = FleetAPIs(), services: [any RegistrableRPCService] = []) {
        var config = HTTP2ServerTransport.Custom<GRPCListener>.Config.defaults
        // Thanos allows messages up to 2^31-1 bytes; series frames can be large.
        config.rpc.maxRequestPayloadSize = Int(Int32.max)
        transport = HTTP2ServerTransport.Custom(listenerFactory: GRPCListener(host: host, port: port, tls: tls), config: config)
        let pushdown = apis.pushdown.map { $0(store) }
        switch wire {
        case .off: self.wire = nil
        case .auto: self.wire = WireServer(host: host, port: 0, tls: tls, store: store, pushdown: pushdown)
        case .address(let h, let p): self.wire = WireServer(host: h, port: p, tls: tls, store: store, pushdown: pushdown)
        }
        server = GRPCServer(transport: transport, services: [StoreService(store: store), InfoService(store: store, apis: apis, wire: self.wire)]
                                + GRPCFleetServices.services(apis, pushdown: pushdown) + services)
    }

    /// Runs until `shutdown` (or the task is cancelled). Being cancelled is a normal stop
    /// (SIGTERM), not an error: the transport's cancellation error is not passed on. The wire
    /// listens before gRPC does, so the first Info answer already advertises it.
    public func serve() async throws {
        try await wire?.start()
        defer { wire?.close() }
        do { try await server.serve() } catch where Task.isCancelled {
            return
        }
    }

    public func shutdown() {
        wire?.close()
        server.beginGracefulShutdown()
    }

    /// The wire's bound port, once listening (nil: off or not yet).
    public func boundWirePort() -> Int? { wire?.boundPort }

    /// The bound port, once listening.
    public func boundPort() async throws -> Int {
        guard let a = await transport.listeningAddress else {
            throw StoreError.unavailable("gRPC server is not listening (bind failed or stopped)")
        }
        if let v4 = a.ipv4 { return v4.port }
        if let v6 = a.ipv6 { return v6.port }
        throw StoreError.internal("gRPC server bound to a non-IP address \(a)")
    }

    static func rpcError(_ e: Error) -> Error {
        if e is RPCError || e is CancellationError { return e }
        switch e {
        case let s as StoreError:
            switch s {
            case .invalidArgument(let m): return RPCError(code: .invalidArgument, message: m)
            case .resourceExhausted(let m): return RPCError(code: .resourceExhausted, message: m)
            case .unavailable(let m): return RPCError(code: .unavailable, message: m)
            case .unimplemented(let m): return RPCError(code: .unimplemented, message: m)
            case .internal(let m): return RPCError(code: .internalError, message: m)
            }
        case let m as InvalidMatcher: return RPCError(code: .invalidArgument, message: m.description)
        default: return RPCError(code: .internalError, message: "\(e)")
        }
    }

    struct StoreService: Thanos_Store.SimpleServiceProtocol {
        let store: any StoreClient

        /// The generated registration, but Series frames go through `SeriesFrameSerializer`.
        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            router.register(Thanos_Store.Method.Info.descriptor, Thanos_InfoRequest.self,
                            answers: ProtobufSerializer<Thanos_InfoResponse>()) { try await self.info(request: $0, context: $1) }
            router.register(Thanos_Store.Method.Series.descriptor, Thanos_SeriesRequest.self,
                            answers: SeriesFrameSerializer()) { try await self.series(request: $0, context: $1) }
            router.register(Thanos_Store.Method.LabelNames.descriptor, Thanos_LabelNamesRequest.self,
                            answers: ProtobufSerializer<Thanos_LabelNamesResponse>()) { try await self.labelNames(request: $0, context: $1) }
            router.register(Thanos_Store.Method.LabelValues.descriptor, Thanos_LabelValuesRequest.self,
                            answers: ProtobufSerializer<Thanos_LabelValuesResponse>()) { try await self.labelValues(request: $0, context: $1) }
        }

        func info(request: Thanos_InfoRequest, context: ServerContext) async throws -> Thanos_InfoResponse {
            do {
                let i = try await store.info()
                var r = Thanos_InfoResponse()
                r.labelSets = i.labelSets
                r.labels = i.labelSets.first?.labels ?? []
                r.minTime = i.store.minTime
                r.maxTime = i.store.maxTime
                switch i.componentType {
                case "sidecar": r.storeType = .sidecar
                case "query": r.storeType = .query
                case "rule": r.storeType = .rule
                case "receive": r.storeType = .receive
                default: r.storeType = .store
                }
                return r
            } catch { throw GRPCStoreServer.rpcError(error) }
        }

        func series(request: Thanos_SeriesRequest, response: RPCWriter<Thanos_SeriesResponse>, context: ServerContext) async throws {
            do {
                try await Self.series(store, request) { try await response.write(contentsOf: $0) }
            } catch { throw GRPCStoreServer.rpcError(error) }
        }

        /// A Series call's answer, written in batches (`ResponseBatch`); gRPC and the wire both serve it so.
        static func series(_ store: any StoreClient, _ request: Thanos_SeriesRequest,
                           write: @escaping @Sendable ([Thanos_SeriesResponse]) async throws -> Void) async throws {
            let batch = ResponseBatch(seriesPerMessage: request.responseBatchSize)
            try await store.series(request) { frame in
                if let full = batch.add(frame) { try await write(full) }
            }
            let rest = batch.drain()
            if !rest.isEmpty { try await write(rest) }
        }

        func labelNames(request: Thanos_LabelNamesRequest, context: ServerContext) async throws -> Thanos_LabelNamesResponse {
            do { return try await store.labelNames(request) } catch { throw GRPCStoreServer.rpcError(error) }
        }

        func labelValues(request: Thanos_LabelValuesRequest, context: ServerContext) async throws -> Thanos_LabelValuesResponse {
            do { return try await store.labelValues(request) } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }

    struct InfoService: Thanos_Info_Info.SimpleServiceProtocol {
        let store: any StoreClient
        let apis: FleetAPIs
        let wire: WireServer?

        func info(request: Thanos_Info_InfoRequest, context: ServerContext) async throws -> Thanos_Info_InfoResponse {
            do {
                var r = try await store.info()
                apis.advertise(in: &r)
                if let port = wire?.boundPort { Wire.advertise(port: port, in: &r) }
                return r
            } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }
}

/// Series frames gathered before they are handed to the transport: the stream is written
/// and flushed once per batch instead of once per series — a per-message write and flush
/// cost more than encoding. When the request's `response_batch_size` is above 1 (Thanos's
/// series batching), up to that many series also travel as one `SeriesBatch` message, which
/// saves the receiver a wake-up per series; otherwise each series stays its own message.
final class ResponseBatch: Sendable {
    static let maxFrames = 64
    static let maxBytes = 1 << 20
    let seriesPerMessage: Int
    private let state = Mutex<State>(State())

    struct State {
        var frames: [Thanos_SeriesResponse] = []
        var pending: [Thanos_Series] = []
        var bytes = 0

        mutating func closeBatch() {
            guard !pending.isEmpty else { return }
            frames.append(.batch(pending))
            pending = []
        }

        mutating func take() -> [Thanos_SeriesResponse] {
            closeBatch()
            defer { self = State() }
            return frames
        }
    }

    init(seriesPerMessage: Int64 = 0) {
        self.seriesPerMessage = Int(max(1, min(seriesPerMessage, 10_000)))
    }

    /// Adds a frame; returns the messages to write when the batch is full.
    func add(_ frame: Thanos_SeriesResponse) -> [Thanos_SeriesResponse]? {
        var size = 0
        if case .series(let s)? = frame.result {
            for c in s.chunks { size += c.raw.data.count + c.count.data.count + c.sum.data.count + c.min.data.count + c.max.data.count + c.counter.data.count }
        }
        return state.withLock { st in
            if seriesPerMessage > 1, case .series(let s)? = frame.result {
                st.pending.append(s)
                if st.pending.count >= seriesPerMessage { st.closeBatch() }
            } else {
                st.closeBatch()
                st.frames.append(frame)
            }
            st.bytes += size
            guard st.frames.count >= Self.maxFrames || st.bytes >= Self.maxBytes else { return nil }
            return st.take()
        }
    }

    func drain() -> [Thanos_SeriesResponse] { state.withLock { $0.take() } }
}

extension RPCRouter {
    /// One method of a generated service with SwiftProtobuf decoding its requests and
    /// `serializer` encoding its answers: the generated `registerMethods` uses SwiftProtobuf
    /// both ways, and Series and pushed-down answers have one-pass serializers of their own.
    mutating func register<Request: SwiftProtobuf.Message, Serializer: MessageSerializer>(
        _ method: MethodDescriptor, _: Request.Type, answers serializer: Serializer,
        _ handler: @escaping @Sendable (StreamingServerRequest<Request>, ServerContext) async throws
            -> StreamingServerResponse<Serializer.Message>
    ) {
        registerHandler(forMethod: method, deserializer: ProtobufDeserializer<Request>(), serializer: serializer, handler: handler)
    }
}
