import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf

/// The fleet APIs and the Query API over the client's one connection. Callers ask only endpoints whose
/// Info advertised the API; any other gets gRPC `unimplemented`, reported like a failed call.
extension GRPCStoreClient: TargetsAPI, MetadataAPI, ExemplarsAPI, RulesAPI, PushdownAPI {
    public func targets(_ request: Thanos_TargetsRequest,
                        onResponse: @escaping @Sendable (Thanos_TargetsResponse) async throws -> Void) async throws {
        try await Thanos_Targets.Client(wrapping: client).targets(request, options: options) { response in
            for try await m in response.messages { try await onResponse(m) }
        }
    }

    public func metricMetadata(_ request: Thanos_MetricMetadataRequest,
                               onResponse: @escaping @Sendable (Thanos_MetricMetadataResponse) async throws -> Void) async throws {
        try await Thanos_Metadata.Client(wrapping: client).metricMetadata(request, options: options) { response in
            for try await m in response.messages { try await onResponse(m) }
        }
    }

    public func exemplars(_ request: Thanos_ExemplarsRequest,
                          onResponse: @escaping @Sendable (Thanos_ExemplarsResponse) async throws -> Void) async throws {
        try await Thanos_Exemplars.Client(wrapping: client).exemplars(request, options: options) { response in
            for try await m in response.messages { try await onResponse(m) }
        }
    }

    public func rules(_ request: Thanos_RulesRequest,
                      onResponse: @escaping @Sendable (Thanos_RulesResponse) async throws -> Void) async throws {
        try await Thanos_Rules.Client(wrapping: client).rules(request, options: options) { response in
            for try await m in response.messages { try await onResponse(m) }
        }
    }

    public func queryRange(_ request: Thanos_QueryRangeRequest,
                           onResponse: @escaping @Sendable (Thanos_QueryRangeResponse) async throws -> Void) async throws {
        // Answers are read by `QueryRangeFrameDeserializer` (one pass, no generic visitor).
        if try await overWire(.queryRange, request, onMessage: { try await onResponse(QueryRangeFrameDeserializer().deserialize(WireBytes($0))) }) {
            return
        }
        try await queryRangeOverGRPC(request, onResponse: onResponse)
    }

    public func queryRangeAnswers(_ request: Thanos_QueryRangeRequest,
                                  onAnswer: @escaping @Sendable (PushdownAnswer) async throws -> Void) async throws {
        if try await overWire(.queryRange, request, onMessage: { frame in
            let bytes = WireBytes(frame)
            if let floats = QueryRangeFrameDeserializer.floatSeries(bytes) {
                try await onAnswer(.floats(floats, bytes: frame.readableBytes))
            } else {
                try await onAnswer(.message(QueryRangeFrameDeserializer().deserialize(bytes)))
            }
        }) {
            return
        }
        try await queryRangeOverGRPC(request) { try await onAnswer(.message($0)) }
    }

    private func queryRangeOverGRPC(_ request: Thanos_QueryRangeRequest,
                                    onResponse: @escaping @Sendable (Thanos_QueryRangeResponse) async throws -> Void) async throws {
        try await Thanos_Query.Client(wrapping: client).queryRange(request: ClientRequest(message: request),
                                                                 serializer: ProtobufSerializer<Thanos_QueryRangeRequest>(),
                                                                 deserializer: QueryRangeFrameDeserializer(), options: options) { response in
            for try await m in response.messages { try await onResponse(m) }
        }
    }
}
