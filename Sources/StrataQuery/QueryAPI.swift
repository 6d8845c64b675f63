import StrataCore
import StrataPromQL
import StrataStoreAPI

/// A response of the HTTP API: status code and JSON body.
public struct APIResponse: Sendable {
    public var status: Int
    /// The JSON body in pieces whose concatenation is the answer (a large query answer is
    /// written in pieces on all cores, `ResultJSON.successPieces`). It goes out as these
    /// bytes: through a String it was copied and UTF-8-validated once more on its way.
    public var pieces: [[UInt8]]
    public var bytes: [UInt8] { pieces.count == 1 ? pieces[0] : Array(pieces.joined()) }
    public var body: String { String(decoding: bytes, as: UTF8.self) }

    public init(status: Int, body: String) {
        self.status = status
        self.pieces = [Array(body.utf8)]
    }

    public init(status: Int, pieces: [[UInt8]]) {
        self.status = status
        self.pieces = pieces
    }

    public static func success(_ data: String, warnings: [String] = []) -> APIResponse {
        var body = "{\"status\":\"success\",\"data\":" + data
        if !warnings.isEmpty { body += ",\"warnings\":" + jsonArray(warnings) }
        return APIResponse(status: 200, body: body + "}")
    }

    /// A query's answer: its result, the stores' warnings and the engine's warnings and infos
    /// (Prometheus 3 returns the latter as `infos`).
    static func success(_ out: QueryOutput, storeWarnings: [String]) -> APIResponse {
        APIResponse(status: 200, pieces: ResultJSON.successPieces(out, extraWarnings: storeWarnings))
    }

    public static func failure(_ e: APIError) -> APIResponse { APIResponse(status: e.httpStatus, body: e.json) }
}

func jsonArray(_ strings: [String]) -> String { "[" + strings.map(goJSONString).joined(separator: ",") + "]" }

/// The Prometheus HTTP API (`/api/v1/...`) with Thanos's querier parameters, over the
/// endpoints of an `EndpointSet`. Transport-free: the HTTP server hands it the request's
/// form values and writes back the `APIResponse`.
public final class QueryAPI: Sendable {
    public let endpoints: EndpointSet
    public let config: QueryAPIConfig
    let queryGate: AsyncSemaphore
    let metrics = QueryMetrics()

    public init(endpoints: EndpointSet, config: QueryAPIConfig) {
        self.endpoints = endpoints
        self.config = config
        queryGate = AsyncSemaphore(limit: config.maxConcurrent)
    }

    /// Runs `body`, turning thrown errors into Prometheus-style error responses.
    func respond(_ endpoint: String, _ body: () async throws -> APIResponse) async -> APIResponse {
        let start = ContinuousClock.now
        let r: APIResponse
        do { r = try await body() } catch { r = .failure(APIError.from(error)) }
        metrics.record(endpoint: endpoint, status: r.status, since: start)
        return r
    }

    func fanOut(_ form: FormValues) async throws -> FanOut {
        let partial = try APIParams.bool(form, "partial_response", default: config.partialResponse)
        return FanOut(endpoints: await endpoints.known(),
                      options: .init(partialResponse: partial, byteBudget: config.maxBytesPerQuery,
                                     memoryBudget: config.maxMemoryPerQuery, maxConcurrentSelect: config.maxConcurrentSelect))
    }

    func dedupOptions(_ form: FormValues) throws -> StoreQueryable.Options {
        var o = StoreQueryable.Options()
        o.dedup = try APIParams.bool(form, "dedup", default: true)
        let fromRequest = form.all("replicaLabels[]")
        o.replicaLabels = Set(fromRequest.isEmpty ? config.replicaLabels : fromRequest)
        o.algorithm = config.dedupAlgorithm
        o.shard = try APIParams.shardInfo(form, "shard_info")
        o.pushdown = config.pushdown
        return o
    }

    /// Thanos's `max_source_resolution`: `auto` (or `--query.auto-downsampling` without the
    /// parameter) means `auto`, otherwise a duration; negative is an error.
    func maxSourceResolution(_ form: FormValues, auto: Int64) throws -> Int64 {
        let val = form["max_source_resolution"] ?? ""
        var res: Int64 = 0
        if config.autoDownsampling || val == "auto" { res = auto }
        if !val.isEmpty && val != "auto" {
            do { res = try APIParams.duration(val, "max_source_resolution") } catch {
                throw APIError(.badData, "'max_source_resolution' parameter: cannot parse \"\(val)\" to a valid duration")
            }
        }
        if res < 0 { throw APIError(.badData, "negative 'max_source_resolution' is not accepted. Try a positive integer") }
        return res
    }

    /// Lookback for downsampled data (Thanos's dynamic lookback delta): a resolution coarser
    /// than the lookback would leave instant selectors without points between aggregates.
    static func lookback(_ delta: Int64, maxSourceResolution: Int64) -> Int64 {
        let levels: [Int64] = [0, 300_000, 3_600_000]
        var lds = [Int64](repeating: delta, count: levels.count)
        var current = delta
        for (i, r) in levels.enumerated() {
            if delta < r { current = r }
            lds[i] = current
        }
        for i in stride(from: levels.count - 1, through: 1, by: -1) {
            let left = levels[i - 1] > delta ? delta : levels[i - 1]
            if left < maxSourceResolution { return lds[i] }
        }
        return lds[0]
    }

    func engine(_ form: FormValues) throws -> (Engine, Duration) {
        var timeout = config.timeout
        if let t = try APIParams.optionalDuration(form, "timeout"), t > 0 { timeout = min(timeout, .milliseconds(t)) }
        return (Engine(options: EngineOptions(maxSamples: config.maxSamples, timeout: timeout,
                                              lookbackDelta: config.lookbackDelta, compat: config.promqlCompat,
                                              features: config.promqlFeatures)), timeout)
    }

    /// Prometheus 2.42 prefixes parse errors with the parameter name for instant queries
    /// only; range queries report the bare parser error.
    func parse(_ form: FormValues, instant: Bool) throws -> Expr {
        do { return try PromQL.parse(form["query"] ?? "", compat: config.promqlCompat, features: config.promqlFeatures) } catch {
            throw APIError(.badData, instant ? "invalid parameter \"query\": \(error)" : "\(error)")
        }
    }

    /// Evaluates under the concurrency gate and the query's time limit.
    func evaluate(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> QueryOutput) async throws -> QueryOutput {
        try await queryGate.with {
            do { return try await withTimeout(timeout, body) } catch is TimeoutError {
                throw APIError(.timeout, "query timed out in query execution")
            }
        }
    }

    /// The query's storage from its parameters: resolution (`max_source_resolution`, `auto`
    /// meaning `autoResolution`), dedup options, the fan-out, and the lookback for that
    /// resolution.
    func storage(_ form: FormValues, autoResolution: Int64) async throws -> (StoreQueryable, FanOut, Int64) {
        let res = try maxSourceResolution(form, auto: autoResolution)
        let lookback = Self.lookback(try APIParams.optionalDuration(form, "lookback_delta") ?? config.lookbackDelta,
                                     maxSourceResolution: res)
        var opts = try dedupOptions(form)
        opts.maxResolution = res
        let fan = try await fanOut(form)
        return (StoreQueryable(fanOut: fan, options: opts), fan, lookback)
    }

    /// `/api/v1/query`.
    public func query(_ form: FormValues) async -> APIResponse {
        await respond("query") {
            let time = try APIParams.time(form, "time", default: currentTimeMillis())
            let (engine, timeout) = try engine(form)
            let expr = try parse(form, instant: true)
            let (queryable, fan, lb) = try await storage(form, autoResolution: config.instantDefaultMaxSourceResolution)
            let out = try await evaluate(timeout) {
                try await engine.query(queryable, expr, start: time, end: time, step: 0, lookbackDelta: lb)
            }
            return .success(out, storeWarnings: fan.warnings)
        }
    }

    /// `/api/v1/format_query`: the query prettified as Prometheus's `parser.Prettify` writes it.
    public func formatQuery(_ form: FormValues) async -> APIResponse {
        await respond("format_query") {
            let parsed: ParsedQuery
            do {
                parsed = try PromQL.parseForPrinting(form["query"] ?? "", compat: config.promqlCompat, features: config.promqlFeatures)
            } catch {
                throw APIError(.badData, "invalid parameter \"query\": \(error)")
            }
            return .success(goJSONString(parsed.prettified))
        }
    }

    /// `/api/v1/parse_query`: the query's syntax tree as Prometheus 3's `translateAST` writes it.
    public func parseQuery(_ form: FormValues) async -> APIResponse {
        await respond("parse_query") {
            let expr = try parse(form, instant: true)
            return .success(expr.astJSONText(compat: config.promqlCompat))
        }
    }

    /// `/api/v1/query_range`.
    public func queryRange(_ form: FormValues) async -> APIResponse {
        await respond("query_range") {
            let start = try APIParams.requiredTime(form, "start")
            let end = try APIParams.requiredTime(form, "end")
            if end < start { throw APIError(.badData, "invalid parameter \"end\": end timestamp must not be before start time") }
            let step = try APIParams.optionalDuration(form, "step") ?? max((end - start) / 250 / 1000 * 1000, config.defaultStep)
            if step <= 0 {
                throw APIError(.badData, "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")
            }
            if (end - start) / step > 11000 {
                throw APIError(.badData, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
            }
            let expr = try parse(form, instant: false)
            if expr.type != .vector && expr.type != .scalar {
                throw APIError(.badData, "invalid expression type \"\(expr.type.documented)\" for range query, must be Scalar or instant Vector")
            }
            let (engine, timeout) = try engine(form)
            let (queryable, fan, lb) = try await storage(form, autoResolution: step / 5)
            let out = try await evaluate(timeout) {
                try await engine.query(queryable, expr, start: start, end: end, step: step, lookbackDelta: lb)
            }
            return .success(out, storeWarnings: fan.warnings)
        }
    }

    /// `/api/v1/series`.
    public func series(_ form: FormValues) async -> APIResponse {
        await respond("series") {
            let sets = try APIParams.selectors(form, compat: config.promqlCompat)
            if sets.isEmpty { throw APIError(.badData, "no match[] parameter provided") }
            let limit = try APIParams.limit(form)
            let start = try APIParams.time(form, "start", default: APIParams.minTime)
            let end = try APIParams.time(form, "end", default: APIParams.maxTime)
            let opts = try dedupOptions(form)
            let fan = try await fanOut(form)
            var found = Set<Labels>()
            for ms in sets {
                var req = Thanos_SeriesRequest()
                req.minTime = start
                req.maxTime = end
                req.matchers = ms.map(\.proto)
                req.skipChunks = true
                for s in try await fan.series(req, matchers: ms) {
                    found.insert(opts.dedup ? s.labels.removing(opts.replicaLabels) : s.labels)
                }
            }
            let (list, warnings) = APIParams.truncated(found.sorted(), to: limit, warnings: fan.warnings)
            return .success("[" + list.map(ResultJSON.metric).joined(separator: ",") + "]", warnings: warnings)
        }
    }

    /// `/api/v1/labels`.
    public func labelNames(_ form: FormValues) async -> APIResponse {
        await respond("labels") {
            let sets = try APIParams.selectors(form, compat: config.promqlCompat)
            let limit = try APIParams.limit(form)
            let start = try APIParams.time(form, "start", default: APIParams.minTime)
            let end = try APIParams.time(form, "end", default: APIParams.maxTime)
            let opts = try dedupOptions(form)
            let fan = try await fanOut(form)
            var names = Set<String>()
            for ms in sets.isEmpty ? [[]] : sets {
                var req = Thanos_LabelNamesRequest()
                req.start = start
                req.end = end
                req.matchers = ms.map(\.proto)
                names.formUnion(try await fan.labelNames(req, matchers: ms))
            }
            if opts.dedup { names.subtract(opts.replicaLabels) }
            let (list, warnings) = APIParams.truncated(names.sorted(by: bytewiseLess), to: limit, warnings: fan.warnings)
            return .success(jsonArray(list), warnings: warnings)
        }
    }

    /// `/api/v1/label/<name>/values`.
    public func labelValues(_ rawName: String, _ form: FormValues) async -> APIResponse {
        await respond("label_values") {
            // 3.x: UTF-8 names, written in the path in their `U__` escaped form.
            let utf8 = config.promqlCompat != .v2_42
            let name = utf8 ? NameEscaping.unescape(rawName) : rawName
            guard utf8 ? !name.isEmpty : Self.isLabelName(name) else { throw APIError(.badData, "invalid label name: \(goQuote(name))") }
            let sets = try APIParams.selectors(form, compat: config.promqlCompat)
            let limit = try APIParams.limit(form)
            let start = try APIParams.time(form, "start", default: APIParams.minTime)
            let end = try APIParams.time(form, "end", default: APIParams.maxTime)
            let opts = try dedupOptions(form)
            let fan = try await fanOut(form)
            if opts.dedup && opts.replicaLabels.contains(name) { return .success("[]") }
            var values = Set<String>()
            for ms in sets.isEmpty ? [[]] : sets {
                var req = Thanos_LabelValuesRequest()
                req.label = name
                req.start = start
                req.end = end
                req.matchers = ms.map(\.proto)
                values.formUnion(try await fan.labelValues(req, matchers: ms))
            }
            let (list, warnings) = APIParams.truncated(values.sorted(by: bytewiseLess), to: limit, warnings: fan.warnings)
            return .success(jsonArray(list), warnings: warnings)
        }
    }

    /// `^[a-zA-Z_][a-zA-Z0-9_]*$` (Prometheus's model.LabelNameRE).
    static func isLabelName(_ s: String) -> Bool {
        guard let f = s.utf8.first, f == UInt8(ascii: "_") || (f | 0x20 >= UInt8(ascii: "a") && f | 0x20 <= UInt8(ascii: "z")) else {
            return false
        }
        return s.utf8.allSatisfy { c in
            c == UInt8(ascii: "_") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
        }
    }

    /// `/api/v1/status/buildinfo`: `version` is the Prometheus release whose PromQL the
    /// querier speaks (Grafana picks query features by it), `revision` names Strata's version.
    public func buildInfo() -> APIResponse {
        .success("{\"version\":\(goJSONString(config.promqlCompat.prometheusVersion)),\"revision\":\(goJSONString("strata " + StrataVersion.version)),\"branch\":\"\",\"buildUser\":\"\",\"buildDate\":\"\",\"goVersion\":\"swift6\"}")
    }

    /// `/api/v1/stores`: every endpoint with its health, component, time range and labels
    /// (as Thanos's querier lists them), grouped by component.
    public func stores() async -> APIResponse {
        var groups: [String: [String]] = [:]
        for e in await endpoints.all() {
            let sets = "[" + e.labelSets.map(ResultJSON.metric).joined(separator: ",") + "]"
            var item = "{\"name\":\(goJSONString(e.name)),\"healthy\":\(e.healthy),\"minTime\":\(e.minTime),\"maxTime\":\(e.maxTime)"
            item += ",\"labelSets\":\(sets),\"lastCheck\":\(e.lastCheck)"
            if let err = e.lastError { item += ",\"lastError\":\(goJSONString(err))" }
            groups[e.component.isEmpty ? "unknown" : e.component, default: []].append(item + "}")
        }
        let body = groups.keys.sorted().map { "\(goJSONString($0)):[\(groups[$0]!.joined(separator: ","))]" }
        return .success("{" + body.joined(separator: ",") + "}")
    }
}
