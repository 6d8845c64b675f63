import StrataCore
import StrataPromQL
import StrataStoreAPI

/// Targets, Metadata, Exemplars and Rules of every endpoint that serves them: the querier's
/// HTTP API merges and deduplicates these answers, and its own gRPC services (stacked
/// queriers, Thanos's query component) pass them on unmerged — warnings included — for the
/// querier above to deduplicate, as Thanos's proxies do.
public struct QuerierFleet: TargetsAPI, MetadataAPI, ExemplarsAPI, RulesAPI {
    let endpoints: EndpointSet
    let config: QueryAPIConfig

    public init(endpoints: EndpointSet, config: QueryAPIConfig) {
        self.endpoints = endpoints
        self.config = config
    }

    public var apis: FleetAPIs { FleetAPIs(targets: self, metadata: self, exemplars: self, rules: self) }

    func fanOut(partialResponse: Bool) -> FleetFanOut {
        FleetFanOut(options: .init(partialResponse: partialResponse, timeout: config.timeout, byteBudget: config.fleetMaxBytes))
    }

    // MARK: gathering (one list per answering endpoint, in endpoint order)

    func targets(_ request: Thanos_TargetsRequest, _ fan: FleetFanOut) async throws -> [Thanos_TargetDiscovery] {
        var req = request
        req.partialResponseStrategy = fan.strategy
        return try await fan.collect(await endpoints.serving(.targets), "targets", call: { [req] e, onFrame in
            guard let api = e.client as? any TargetsAPI else { throw StoreError.unavailable("no Targets API client") }
            try await api.targets(req, onResponse: onFrame)
        }, item: { (f: Thanos_TargetsResponse) in
            switch f.result {
            case .targets(let t)?: return (t, nil)
            case .warning(let w)?: return (nil, w)
            case nil: return (nil, nil)
            }
        }).flatMap { $0 }
    }

    func metadata(_ request: Thanos_MetricMetadataRequest, _ fan: FleetFanOut) async throws -> [Thanos_MetricMetadata] {
        var req = request
        req.partialResponseStrategy = fan.strategy
        return try await fan.collect(await endpoints.serving(.metadata), "metadata", call: { [req] e, onFrame in
            guard let api = e.client as? any MetadataAPI else { throw StoreError.unavailable("no Metadata API client") }
            try await api.metricMetadata(req, onResponse: onFrame)
        }, item: { (f: Thanos_MetricMetadataResponse) in
            switch f.result {
            case .metadata(let m)?: return (m, nil)
            case .warning(let w)?: return (nil, w)
            case nil: return (nil, nil)
            }
        }).flatMap { $0 }
    }

    /// Each endpoint is asked only for the query's selectors its external labels can match,
    /// without matchers on those labels (Prometheus's exemplar storage does not know them)
    /// unless the endpoint is a querier, which routes by them itself — Thanos's exemplars proxy.
    func exemplars(_ request: Thanos_ExemplarsRequest, _ fan: FleetFanOut) async throws -> [Thanos_ExemplarData] {
        let expr: Expr
        do { expr = try PromQL.parse(request.query, compat: config.promqlCompat, features: config.promqlFeatures) } catch {
            throw StoreError.invalidArgument("\(error)")
        }
        let selectors = expr.selectorMatchers
        var plan: [(EndpointStatus, String)] = []
        for e in await endpoints.serving(.exemplars) {
            let external = Set(e.labelSets.flatMap { $0.pairs.map(\.name) })
            let parts = selectors.filter { e.canMatch($0) }.map { ms in
                let kept = e.component == "query" ? ms : ms.filter { !external.contains($0.name) }
                return "{" + kept.map(\.description).joined(separator: ", ") + "}"
            }
            if !parts.isEmpty { plan.append((e, parts.joined(separator: "+"))) }
        }
        var req = request
        req.partialResponseStrategy = fan.strategy
        let queries = Dictionary(plan.map { ($0.0.name, $0.1) }, uniquingKeysWith: { a, _ in a })
        return try await fan.collect(plan.map(\.0), "exemplars", call: { [req] e, onFrame in
            guard let api = e.client as? any ExemplarsAPI else { throw StoreError.unavailable("no Exemplars API client") }
            var r = req
            r.query = queries[e.name] ?? req.query
            try await api.exemplars(r, onResponse: onFrame)
        }, item: { (f: Thanos_ExemplarsResponse) in
            switch f.result {
            case .data(let d)?: return (d, nil)
            case .warning(let w)?: return (nil, w)
            case nil: return (nil, nil)
            }
        }).flatMap { $0 }
    }

    func rules(_ request: Thanos_RulesRequest, _ fan: FleetFanOut) async throws -> [Thanos_RuleGroup] {
        var req = request
        req.partialResponseStrategy = fan.strategy
        return try await fan.collect(await endpoints.serving(.rules), "rules", call: { [req] e, onFrame in
            guard let api = e.client as? any RulesAPI else { throw StoreError.unavailable("no Rules API client") }
            try await api.rules(req, onResponse: onFrame)
        }, item: { (f: Thanos_RulesResponse) in
            switch f.result {
            case .group(let g)?: return (g, nil)
            case .warning(let w)?: return (nil, w)
            case nil: return (nil, nil)
            }
        }).flatMap { $0 }
    }

    // MARK: the querier's own gRPC services: frames passed on, warnings as warning frames

    static func failure(_ error: any Error) -> any Error {
        switch error {
        case let e as FanOut.StoreFailure: return StoreError.unavailable(e.description)
        case let e as FleetFanOut.TooLarge: return StoreError.resourceExhausted(e.description)
        default: return error
        }
    }

    public func targets(_ request: Thanos_TargetsRequest,
                        onResponse: @escaping @Sendable (Thanos_TargetsResponse) async throws -> Void) async throws {
        let fan = fanOut(partialResponse: request.partialResponseStrategy == .warn)
        let found: [Thanos_TargetDiscovery]
        do { found = try await targets(request, fan) } catch { throw Self.failure(error) }
        for w in fan.warnings { try await onResponse(.warning(w)) }
        for t in found { try await onResponse(.targets(t)) }
    }

    public func metricMetadata(_ request: Thanos_MetricMetadataRequest,
                               onResponse: @escaping @Sendable (Thanos_MetricMetadataResponse) async throws -> Void) async throws {
        let fan = fanOut(partialResponse: request.partialResponseStrategy == .warn)
        let found: [Thanos_MetricMetadata]
        do { found = try await metadata(request, fan) } catch { throw Self.failure(error) }
        for w in fan.warnings { try await onResponse(.warning(w)) }
        for m in found { try await onResponse(.metadata(m)) }
    }

    public func exemplars(_ request: Thanos_ExemplarsRequest,
                          onResponse: @escaping @Sendable (Thanos_ExemplarsResponse) async throws -> Void) async throws {
        let fan = fanOut(partialResponse: request.partialResponseStrategy == .warn)
        let found: [Thanos_ExemplarData]
        do { found = try await exemplars(request, fan) } catch { throw Self.failure(error) }
        for w in fan.warnings { try await onResponse(.warning(w)) }
        for d in found { try await onResponse(.data(d)) }
    }

    public func rules(_ request: Thanos_RulesRequest,
                      onResponse: @escaping @Sendable (Thanos_RulesResponse) async throws -> Void) async throws {
        let fan = fanOut(partialResponse: request.partialResponseStrategy == .warn)
        let found: [Thanos_RuleGroup]
        do { found = try await rules(request, fan) } catch { throw Self.failure(error) }
        for w in fan.warnings { try await onResponse(.warning(w)) }
        for g in found { try await onResponse(.group(g)) }
    }
}
