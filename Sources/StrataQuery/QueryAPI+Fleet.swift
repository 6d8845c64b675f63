import StrataCore
import StrataStoreAPI

/// `/api/v1/targets`, `/metadata`, `/query_exemplars`, `/rules` and `/alerts` over every
/// endpoint serving the Targets, Metadata, Exemplars and Rules APIs: Prometheus's parameters
/// and answers, merged across endpoints and deduplicated by the replica labels
/// (`--query.replica-label`, or `replicaLabels[]`; `dedup=false` keeps replicas apart). A
/// failing endpoint is a warning under `partial_response` (default `--query.partial-response`)
/// and the request's error otherwise.
extension QueryAPI {
    var fleet: QuerierFleet { QuerierFleet(endpoints: endpoints, config: config) }

    func fleetFanOut(_ form: FormValues) throws -> FleetFanOut {
        fleet.fanOut(partialResponse: try APIParams.bool(form, "partial_response", default: config.partialResponse))
    }

    func fleetReplicaLabels(_ form: FormValues) throws -> Set<String> {
        let o = try dedupOptions(form)
        return o.dedup ? o.replicaLabels : []
    }

    /// Gathering errors as API errors: a refused request is the caller's (bad_data), an answer
    /// over the byte budget an execution error, a failed endpoint without partial response
    /// an internal one (Thanos's ErrorInternal).
    func gather<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as FleetFanOut.TooLarge {
            throw APIError(.execution, e.description)
        } catch let e as FanOut.StoreFailure {
            throw APIError(.internal, e.description)
        } catch StoreError.invalidArgument(let m) {
            throw APIError(.badData, m)
        }
    }

    /// `/api/v1/targets` (`state`: active, dropped or any).
    public func targets(_ form: FormValues) async -> APIResponse {
        await respond("targets") {
            guard let state = TargetsMerge.state(form["state"] ?? "") else {
                return .success(FleetJSON.targets(Thanos_TargetDiscovery()))
            }
            let replicas = try fleetReplicaLabels(form)
            let fan = try fleetFanOut(form)
            var req = Thanos_TargetsRequest()
            req.state = state
            let parts = try await gather { try await fleet.targets(req, fan) }
            return .success(FleetJSON.targets(TargetsMerge.merge(parts, replicaLabels: replicas)), warnings: fan.warnings)
        }
    }

    /// `/api/v1/metadata` (`metric`, `limit`, `limit_per_metric`).
    public func metadata(_ form: FormValues) async -> APIResponse {
        await respond("metadata") {
            let limit = try Self.metadataLimit(form, "limit")
            let perMetric = try Self.metadataLimit(form, "limit_per_metric")
            let fan = try fleetFanOut(form)
            var req = Thanos_MetricMetadataRequest()
            req.metric = form["metric"] ?? ""
            req.limit = Int32(clamping: limit)
            let parts = try await gather { try await fleet.metadata(req, fan) }
            return .success(FleetJSON.metadata(MetadataMerge.merge(parts, limit: limit, limitPerMetric: perMetric)), warnings: fan.warnings)
        }
    }

    /// Prometheus's metadata limits: any integer, negative (the default) meaning none.
    static func metadataLimit(_ form: FormValues, _ name: String) throws -> Int {
        guard let s = form[name], !s.isEmpty else { return -1 }
        guard let n = Int(s) else { throw APIError(.badData, "\(name) must be a number") }
        return n
    }

    /// `/api/v1/query_exemplars` (`query`, `start`, `end`). A query without selectors has no
    /// exemplars: 204 No Content, as Prometheus answers it.
    public func exemplars(_ form: FormValues) async -> APIResponse {
        await respond("query_exemplars") {
            let start = try APIParams.time(form, "start", default: APIParams.minTime)
            let end = try APIParams.time(form, "end", default: APIParams.maxTime)
            if end < start { throw APIError(.badData, "end timestamp must not be before start timestamp") }
            let expr = try parse(form, instant: false)
            if expr.selectorMatchers.isEmpty { return APIResponse(status: 204, body: "") }
            let replicas = try fleetReplicaLabels(form)
            let fan = try fleetFanOut(form)
            var req = Thanos_ExemplarsRequest()
            req.query = form["query"] ?? ""
            req.start = start
            req.end = end
            let parts = try await gather { try await fleet.exemplars(req, fan) }
            return .success(FleetJSON.exemplars(ExemplarsMerge.merge(parts, replicaLabels: replicas)), warnings: fan.warnings)
        }
    }

    /// `/api/v1/rules` (`type`, and Prometheus 3's `rule_name[]`, `rule_group[]`, `file[]`,
    /// `match[]`, `exclude_alerts`).
    public func rules(_ form: FormValues) async -> APIResponse {
        await respond("rules") {
            let filter = try RulesFilter(form: form, compat: config.promqlCompat)
            let exclude = try RulesFilter.excludeAlerts(form)
            let groups = try await ruleGroups(form, filter)
            return .success(RulesJSON.rules(groups.0, excludeAlerts: exclude), warnings: groups.1)
        }
    }

    /// `/api/v1/alerts`: the alerts of every alerting rule, each rule once across replicas.
    public func alerts(_ form: FormValues) async -> APIResponse {
        await respond("alerts") {
            var filter = RulesFilter()
            filter.type = .alert
            let groups = try await ruleGroups(form, filter)
            return .success(RulesJSON.alerts(groups.0), warnings: groups.1)
        }
    }

    func ruleGroups(_ form: FormValues, _ filter: RulesFilter) async throws -> ([Thanos_RuleGroup], [String]) {
        let replicas = try fleetReplicaLabels(form)
        let fan = try fleetFanOut(form)
        var req = Thanos_RulesRequest()
        req.type = filter.type
        req.ruleName = form.all("rule_name[]")
        req.ruleGroup = form.all("rule_group[]")
        req.file = form.all("file[]")
        req.matcherString = form.all("match[]")
        let parts = try await gather { try await fleet.rules(req, fan) }
        return (RulesMerge.merge(parts, filter: filter, replicaLabels: replicas), fan.warnings)
    }
}
