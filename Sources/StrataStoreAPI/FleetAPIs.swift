/// The Thanos APIs an endpoint may serve beside the Store API — Targets, Metadata, Exemplars
/// and Rules — as seams like `StoreClient`: a sidecar implements them over its Prometheus, a
/// querier over its endpoints, and `GRPCStoreClient` reaches a remote one. Each call streams
/// its answer frames to `onResponse` in order and returns when the stream ends; a frame may
/// be a warning (partial response) instead of data.
public protocol TargetsAPI: Sendable {
    func targets(_ request: Thanos_TargetsRequest,
                 onResponse: @escaping @Sendable (Thanos_TargetsResponse) async throws -> Void) async throws
}

public protocol MetadataAPI: Sendable {
    func metricMetadata(_ request: Thanos_MetricMetadataRequest,
                        onResponse: @escaping @Sendable (Thanos_MetricMetadataResponse) async throws -> Void) async throws
}

public protocol ExemplarsAPI: Sendable {
    func exemplars(_ request: Thanos_ExemplarsRequest,
                   onResponse: @escaping @Sendable (Thanos_ExemplarsResponse) async throws -> Void) async throws
}

public protocol RulesAPI: Sendable {
    func rules(_ request: Thanos_RulesRequest,
               onResponse: @escaping @Sendable (Thanos_RulesResponse) async throws -> Void) async throws
}

/// Which of the fleet APIs (and the Query API) a component serves, and the implementations. A gRPC server
/// registers exactly these and its Info answer advertises exactly these, so a querier never
/// asks an endpoint for an API it does not serve.
public struct FleetAPIs: Sendable {
    public var targets: (any TargetsAPI)?
    public var metadata: (any MetadataAPI)?
    public var exemplars: (any ExemplarsAPI)?
    public var rules: (any RulesAPI)?
    /// The Query API (query pushdown) over the served store, built by the gRPC server.
    public var pushdown: PushdownAPIFactory?

    public init(targets: (any TargetsAPI)? = nil, metadata: (any MetadataAPI)? = nil,
                exemplars: (any ExemplarsAPI)? = nil, rules: (any RulesAPI)? = nil, pushdown: PushdownAPIFactory? = nil) {
        self.targets = targets
        self.metadata = metadata
        self.exemplars = exemplars
        self.rules = rules
        self.pushdown = pushdown
    }

    /// Sets the Info fields of the served APIs (Thanos's infopb: a present message means
    /// "served"). Exemplars cover all time, as Thanos's sidecar and querier advertise them:
    /// Prometheus keeps exemplars in memory only, so no narrower range is known.
    public func advertise(in info: inout Thanos_Info_InfoResponse) {
        if targets != nil { info.targets = Thanos_Info_TargetsInfo() }
        if metadata != nil { info.metricMetadata = Thanos_Info_MetricMetadataInfo() }
        if rules != nil { info.rules = Thanos_Info_RulesInfo() }
        if pushdown != nil { info.query = Thanos_Info_QueryAPIInfo() }
        if exemplars != nil {
            var e = Thanos_Info_ExemplarsInfo()
            e.minTime = .min
            e.maxTime = .max
            info.exemplars = e
        }
    }
}

/// Response frames, as Thanos's `New…Response` helpers build them.
extension Thanos_TargetsResponse {
    public static func targets(_ t: Thanos_TargetDiscovery) -> Thanos_TargetsResponse {
        var r = Thanos_TargetsResponse()
        r.targets = t
        return r
    }

    public static func warning(_ w: String) -> Thanos_TargetsResponse {
        var r = Thanos_TargetsResponse()
        r.warning = w
        return r
    }
}

extension Thanos_MetricMetadataResponse {
    public static func metadata(_ m: Thanos_MetricMetadata) -> Thanos_MetricMetadataResponse {
        var r = Thanos_MetricMetadataResponse()
        r.metadata = m
        return r
    }

    public static func warning(_ w: String) -> Thanos_MetricMetadataResponse {
        var r = Thanos_MetricMetadataResponse()
        r.warning = w
        return r
    }
}

extension Thanos_ExemplarsResponse {
    public static func data(_ d: Thanos_ExemplarData) -> Thanos_ExemplarsResponse {
        var r = Thanos_ExemplarsResponse()
        r.data = d
        return r
    }

    public static func warning(_ w: String) -> Thanos_ExemplarsResponse {
        var r = Thanos_ExemplarsResponse()
        r.warning = w
        return r
    }
}

extension Thanos_RulesResponse {
    public static func group(_ g: Thanos_RuleGroup) -> Thanos_RulesResponse {
        var r = Thanos_RulesResponse()
        r.group = g
        return r
    }

    public static func warning(_ w: String) -> Thanos_RulesResponse {
        var r = Thanos_RulesResponse()
        r.warning = w
        return r
    }
}
