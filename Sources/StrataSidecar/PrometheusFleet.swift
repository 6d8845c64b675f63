import StrataCore
import StrataStoreAPI

/// The sidecar's Targets, Metadata, Exemplars and Rules services: each request becomes one
/// call to its Prometheus's HTTP API, and the answer goes back as Thanos's messages with the
/// external labels attached where Thanos's sidecar attaches them — targets' labels and
/// discovered labels, exemplars' series labels, rules' labels (alert instances and metadata
/// stay as Prometheus has them). That is what lets a querier tell replicas apart and
/// deduplicate them by the replica label. Partial-response strategies do not apply: one
/// Prometheus either answers or the call fails.
public struct PrometheusFleet: TargetsAPI, MetadataAPI, ExemplarsAPI, RulesAPI {
    let prometheus: PrometheusClient
    let externalLabels: Labels

    public init(prometheus: PrometheusClient, externalLabels: Labels) {
        self.prometheus = prometheus
        self.externalLabels = externalLabels
    }

    public func apis(pushdown: PushdownAPIFactory? = nil) -> FleetAPIs {
        FleetAPIs(targets: self, metadata: self, exemplars: self, rules: self, pushdown: pushdown)
    }

    public func targets(_ request: Thanos_TargetsRequest,
                        onResponse: @escaping @Sendable (Thanos_TargetsResponse) async throws -> Void) async throws {
        let state: String
        switch request.state {
        case .active: state = "active"
        case .dropped: state = "dropped"
        default: state = ""
        }
        var d = try await Self.decode { try PrometheusFleetJSON.targets(try await prometheus.targets(state: state)) }
        for i in d.activeTargets.indices {
            d.activeTargets[i].discoveredLabels = extend(d.activeTargets[i].discoveredLabels)
            d.activeTargets[i].labels = extend(d.activeTargets[i].labels)
        }
        for i in d.droppedTargets.indices { d.droppedTargets[i].discoveredLabels = extend(d.droppedTargets[i].discoveredLabels) }
        try await onResponse(.targets(d))
    }

    public func metricMetadata(_ request: Thanos_MetricMetadataRequest,
                               onResponse: @escaping @Sendable (Thanos_MetricMetadataResponse) async throws -> Void) async throws {
        let m = try await Self.decode {
            try PrometheusFleetJSON.metadata(try await prometheus.metadata(metric: request.metric, limit: Int(request.limit)))
        }
        try await onResponse(.metadata(m))
    }

    public func exemplars(_ request: Thanos_ExemplarsRequest,
                          onResponse: @escaping @Sendable (Thanos_ExemplarsResponse) async throws -> Void) async throws {
        let data = try await Self.decode {
            try PrometheusFleetJSON.exemplars(try await prometheus.exemplars(query: request.query, start: request.start, end: request.end))
        }
        for var d in data {
            d.seriesLabels = extend(d.seriesLabels)
            try await onResponse(.data(d))
        }
    }

    public func rules(_ request: Thanos_RulesRequest,
                      onResponse: @escaping @Sendable (Thanos_RulesResponse) async throws -> Void) async throws {
        let type: String
        switch request.type {
        case .alert: type = "alert"
        case .record: type = "record"
        default: type = ""
        }
        let groups = try await Self.decode { try PrometheusFleetJSON.ruleGroups(try await prometheus.rules(type: type)) }
        for var g in groups {
            for i in g.rules.indices {
                switch g.rules[i].result {
                case .recording(var r)?:
                    r.labels = extend(r.labels)
                    g.rules[i].recording = r
                case .alert(var a)?:
                    a.labels = extend(a.labels)
                    g.rules[i].alert = a
                default: break
                }
            }
            try await onResponse(.group(g))
        }
    }

    /// Thanos's `labelpb.ExtendSortedLabels`: external labels added, replacing a label of the
    /// same name.
    func extend(_ set: Thanos_ZLabelSet) -> Thanos_ZLabelSet {
        var z = Thanos_ZLabelSet()
        z.labels = Labels(proto: set.labels).merging(externalLabels, overwrite: true).proto
        return z
    }

    /// An answer Prometheus sent but we cannot read is its fault, reported as unavailable data.
    static func decode<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as PrometheusFleetJSON.Malformed {
            throw StoreError.internal("unexpected answer from Prometheus: \(e)")
        }
    }
}
