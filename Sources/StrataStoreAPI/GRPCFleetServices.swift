import GRPCCore
import GRPCProtobuf

/// The gRPC services of `FleetAPIs`, registered by `GRPCStoreServer` next to the Store and
/// Info services. Errors map to gRPC codes like the Store API's (`GRPCStoreServer.rpcError`).
enum GRPCFleetServices {
    static func services(_ apis: FleetAPIs, pushdown: (any PushdownAPI)?) -> [any RegistrableRPCService] {
        var out: [any RegistrableRPCService] = []
        if let t = apis.targets { out.append(Targets(api: t)) }
        if let m = apis.metadata { out.append(Metadata(api: m)) }
        if let e = apis.exemplars { out.append(Exemplars(api: e)) }
        if let r = apis.rules { out.append(Rules(api: r)) }
        if let pushdown { out.append(Query(api: pushdown)) }
        return out
    }

    struct Targets: Thanos_Targets.SimpleServiceProtocol {
        let api: any TargetsAPI

        func targets(request: Thanos_TargetsRequest, response: RPCWriter<Thanos_TargetsResponse>, context: ServerContext) async throws {
            do { try await api.targets(request) { try await response.write($0) } } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }

    struct Metadata: Thanos_Metadata.SimpleServiceProtocol {
        let api: any MetadataAPI

        func metricMetadata(request: Thanos_MetricMetadataRequest, response: RPCWriter<Thanos_MetricMetadataResponse>,
                            context: ServerContext) async throws {
            do { try await api.metricMetadata(request) { try await response.write($0) } } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }

    struct Exemplars: Thanos_Exemplars.SimpleServiceProtocol {
        let api: any ExemplarsAPI

        func exemplars(request: Thanos_ExemplarsRequest, response: RPCWriter<Thanos_ExemplarsResponse>, context: ServerContext) async throws {
            do { try await api.exemplars(request) { try await response.write($0) } } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }

    struct Rules: Thanos_Rules.SimpleServiceProtocol {
        let api: any RulesAPI

        func rules(request: Thanos_RulesRequest, response: RPCWriter<Thanos_RulesResponse>, context: ServerContext) async throws {
            do { try await api.rules(request) { try await response.write($0) } } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }

    struct Query: Thanos_Query.SimpleServiceProtocol {
        let api: any PushdownAPI

        /// The generated registration, but answers go through `QueryRangeFrameSerializer`.
        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            router.register(Thanos_Query.Method.Query.descriptor, Thanos_QueryRequest.self,
                            answers: ProtobufSerializer<Thanos_QueryResponse>()) { try await self.query(request: $0, context: $1) }
            router.register(Thanos_Query.Method.QueryRange.descriptor, Thanos_QueryRangeRequest.self,
                            answers: QueryRangeFrameSerializer()) { try await self.queryRange(request: $0, context: $1) }
        }

        /// Instant fragments travel as range requests with one step (the querier sends no
        /// other); Thanos's `Query` call is answered as unimplemented.
        func query(request: Thanos_QueryRequest, response: RPCWriter<Thanos_QueryResponse>, context: ServerContext) async throws {
            throw RPCError(code: .unimplemented, message: "thanos.Query/Query is not served; send QueryRange with start = end")
        }

        func queryRange(request: Thanos_QueryRangeRequest, response: RPCWriter<Thanos_QueryRangeResponse>,
                        context: ServerContext) async throws {
            do { try await api.queryRange(request) { try await response.write($0) } } catch { throw GRPCStoreServer.rpcError(error) }
        }
    }
}
