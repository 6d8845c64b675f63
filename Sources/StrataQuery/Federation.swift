import StrataCore
import StrataPromQL

/// The answer of `/federate`: exposition text, not the API's JSON.
public struct FederationResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: String
}

/// One series' newest sample as federation exposes it.
struct FederatedSample: Sendable {
    var labels: Labels
    var t: Int64
    var v: Double
}

extension QueryAPI {
    /// `/federate`, as Prometheus's `web/federate.go`: for every series matching any
    /// `match[]`, its newest sample within the lookback delta before now, with the sample's own
    /// timestamp, in the text exposition format, families ordered by metric name, each series
    /// carrying `instance=""` when it has no `instance` (a federating Prometheus with
    /// `honor_labels: true` then keeps the series' own labels). Through the querier this is the
    /// whole fleet, deduplicated over the replica labels like any query (`dedup`,
    /// `partial_response` as in the API).
    ///
    /// Stale series (newest sample a staleness marker) are left out, as the exposition formats
    /// cannot carry a marker. Native histograms are left out too: Prometheus serves them only
    /// in the protobuf format, which this endpoint does not write (it always answers text, which
    /// every scraper accepts). No `match[]` gives an empty answer, as Prometheus's.
    public func federate(_ form: FormValues, accept: String?) async -> FederationResponse {
        let start = ContinuousClock.now
        let r: FederationResponse
        do {
            r = try await federation(form, accept: accept)
        } catch {
            let e = APIError.from(error)
            // Prometheus answers a bad selector with 400 and anything storage says with 500.
            r = FederationResponse(status: e.kind == .badData ? 400 : 500, contentType: "text/plain; charset=utf-8",
                                   body: e.message + "\n")
        }
        metrics.record(endpoint: "federate", status: r.status, since: start)
        return r
    }

    func federation(_ form: FormValues, accept: String?) async throws -> FederationResponse {
        let sets = try APIParams.selectors(form, compat: config.promqlCompat)
        let utf8 = config.promqlCompat != .v2_42 && (accept ?? "").contains("escaping=allow-utf-8")
        var contentType = "text/plain; version=0.0.4; charset=utf-8"
        if config.promqlCompat != .v2_42 { contentType += utf8 ? "; escaping=allow-utf-8" : "; escaping=underscores" }
        let now = currentTimeMillis()
        let (queryable, fan, lookback) = try await storage(form, autoResolution: 0)
        let hints = SelectHints(start: now - lookback, end: now)
        let samples = try await queryGate.with {
            try await withTimeout(self.config.timeout) {
                var newest: [Labels: FederatedSample] = [:]
                for ms in sets {
                    for s in try await queryable.select(matchers: ms, hints: hints) where newest[s.labels] == nil {
                        if let n = try Self.newestSample(s, from: hints.start, to: hints.end) { newest[s.labels] = n }
                    }
                }
                return Array(newest.values)
            }
        }
        if !fan.warnings.isEmpty { metrics.federationWarnings(fan.warnings.count) }
        // Families by metric name; within one, series in label order.
        let sorted = samples.sorted { a, b in
            let (x, y) = (a.labels.metricName, b.labels.metricName)
            return x == y ? a.labels < b.labels : bytewiseLess(x, y)
        }
        return FederationResponse(status: 200, contentType: contentType, body: FederationText.write(sorted, utf8Names: utf8))
    }

    /// The series' newest sample in [from, to], nil when there is none, when it is a staleness
    /// marker, or when it is a native histogram (see `federate`).
    static func newestSample(_ s: StorageSeries, from: Int64, to: Int64) throws -> FederatedSample? {
        let floats = try s.floatSamples()
        let fi = timeIndex(floats.timestamps, atOrAfter: to &+ 1) - 1
        let hi = s.histograms.firstIndex(atOrAfter: to &+ 1) - 1
        let ft = fi >= 0 ? floats.timestamps[fi] : Int64.min
        let ht = hi >= 0 ? s.histograms.timestamps[hi] : Int64.min
        guard max(ft, ht) >= from, ft > ht, !isStaleNaN(floats.values[fi]) else { return nil }
        return FederatedSample(labels: s.labels, t: ft, v: floats.values[fi])
    }
}

/// Prometheus's text exposition format (0.0.4) exactly as `expfmt`'s encoder writes a
/// federation answer: a `# TYPE <name> untyped` line per family, the series' labels in their
/// order followed by `instance=""` when absent, Go's `%g` values and millisecond timestamps.
enum FederationText {
    static func write(_ samples: [FederatedSample], utf8Names: Bool) -> String {
        var out = ""
        var family: String?
        for s in samples {
            let name = s.labels.metricName
            if name.isEmpty { continue }  // nameless series are never exposed
            let shown = utf8Names ? name : NameEscaping.underscores(name)
            if shown != family {
                out += "# TYPE " + Self.name(shown) + " untyped\n"
                family = shown
            }
            var separator = "{"
            if NameEscaping.isLegacyMetricName(shown) {
                out += shown
            } else {
                out += "{" + Self.name(shown)
                separator = ","
            }
            var hasInstance = false
            for l in s.labels.pairs where l.name != metricNameLabel {
                if l.name == "instance" { hasInstance = true }
                out += separator + Self.name(utf8Names ? l.name : NameEscaping.underscores(l.name)) + "=\"" + Self.escaped(l.value) + "\""
                separator = ","
            }
            if !hasInstance { out += separator + "instance=\"\"" }
            out += "} " + Self.value(s.v) + " " + String(s.t) + "\n"
        }
        return out
    }

    /// A name as written: bare when it is a legacy name, else quoted.
    static func name(_ n: String) -> String {
        NameEscaping.isLegacyMetricName(n) ? n : "\"" + escaped(n) + "\""
    }

    /// `\`, `"` and newline escaped, as in label values.
    static func escaped(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `expfmt`'s `writeFloat`: `strconv.FormatFloat(v, 'g', -1, 64)` with zero (either sign)
    /// as `0`.
    static func value(_ v: Double) -> String { v == 0 ? "0" : formatGoG(v) }
}
