import StrataCore

/// A range query's result as the frontend keeps it: series with their label set (for
/// ordering), the metric object exactly as the querier wrote it, and points whose values keep
/// the querier's text — so a merged answer is byte-identical to the querier's own.
/// Native histogram points are kept in the same columns as their JSON object text (which
/// starts with `{`, where a float's text never does), so cache entries need no new format.
public struct MatrixResult: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
        public var labels: Labels
        public var metricJSON: String
        public var timestamps: [Int64]
        public var values: [String]
    }

    static func isHistogram(_ value: String) -> Bool { value.utf8.first == UInt8(ascii: "{") }

    public var series: [Series] = []

    public init(series: [Series] = []) { self.series = series }

    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a successful `query_range` response body; also returns its warnings.
    public static func parse(_ body: [UInt8]) throws -> (MatrixResult, [String]) {
        let doc = try JSONValue(parsing: body)
        guard doc["status"]?.stringValue == "success", let data = doc["data"],
              data["resultType"]?.stringValue == "matrix", let result = data["result"]?.arrayValue else {
            throw Malformed(description: "not a successful matrix response")
        }
        var out = MatrixResult()
        out.series.reserveCapacity(result.count)
        for s in result {
            let values = s["values"]?.arrayValue, histograms = s["histograms"]?.arrayValue
            guard let metric = s["metric"]?.objectValue, values != nil || histograms != nil else {
                throw Malformed(description: "series without metric or values")
            }
            var pairs: [Label] = []
            var w = JSONBytes(capacity: 64)
            w.byte(UInt8(ascii: "{"))
            for (i, m) in metric.enumerated() {
                guard let v = m.value.stringValue else { throw Malformed(description: "label \(m.key) is not a string") }
                pairs.append(Label(m.key, v))
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(m.key)
                w.byte(UInt8(ascii: ":"))
                w.string(v)
            }
            w.byte(UInt8(ascii: "}"))
            var points: [(Int64, String)] = []
            points.reserveCapacity((values?.count ?? 0) + (histograms?.count ?? 0))
            for p in values ?? [] {
                guard let pair = p.arrayValue, pair.count == 2, let v = pair[1].stringValue else {
                    throw Malformed(description: "point is not [time, \"value\"]")
                }
                points.append((try time(pair[0]), v))
            }
            for p in histograms ?? [] {
                guard let pair = p.arrayValue, pair.count == 2, case .object = pair[1] else {
                    throw Malformed(description: "histogram point is not [time, {…}]")
                }
                points.append((try time(pair[0]), pair[1].serialized()))
            }
            if values != nil && histograms != nil { points.sort { $0.0 < $1.0 } }
            out.series.append(Series(labels: Labels(pairs), metricJSON: w.string, timestamps: points.map(\.0), values: points.map(\.1)))
        }
        let warnings = (doc["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
            + (doc["infos"]?.arrayValue ?? []).compactMap { $0.stringValue.map { infoPrefix + $0 } }
        return (out, warnings)
    }

    /// Infos travel with the warnings (marked by this prefix) and are split off again when
    /// the answer is written.
    static let infoPrefix = "\u{1}info:"

    /// A warning or info of the PromQL engine (data-dependent, cacheable), as opposed to a
    /// store's partial-response warning.
    static func isPromQLAnnotation(_ w: String) -> Bool {
        w.hasPrefix("PromQL warning: ") || w.hasPrefix(infoPrefix)
    }

    static func time(_ v: JSONValue) throws -> Int64 {
        switch v {
        case .int(let i): return i * 1000
        case .double(let d): return Int64((d * 1000).rounded())
        default: throw Malformed(description: "point time is not a number")
        }
    }

    /// Only the points in [start, end].
    public func trimmed(_ start: Int64, _ end: Int64) -> MatrixResult {
        var out = MatrixResult()
        for s in series {
            let lo = s.timestamps.firstIndex { $0 >= start } ?? s.timestamps.count
            let hi = s.timestamps.lastIndex { $0 <= end }.map { $0 + 1 } ?? 0
            if lo >= hi { continue }
            out.series.append(Series(labels: s.labels, metricJSON: s.metricJSON, timestamps: Array(s.timestamps[lo..<hi]),
                                     values: Array(s.values[lo..<hi])))
        }
        return out
    }

    /// Results of consecutive time ranges merged into one: series by label set in label
    /// order, points in time order, a timestamp present in two parts taken once.
    public static func merge(_ parts: [MatrixResult]) -> MatrixResult {
        var byLabels: [Labels: Int] = [:]
        var out = MatrixResult()
        for part in parts {
            for s in part.series {
                guard let i = byLabels[s.labels] else {
                    byLabels[s.labels] = out.series.count
                    out.series.append(s)
                    continue
                }
                let last = out.series[i].timestamps.last ?? .min
                if let first = s.timestamps.first, first > last {
                    out.series[i].timestamps += s.timestamps
                    out.series[i].values += s.values
                } else {
                    for (t, v) in zip(s.timestamps, s.values) where !out.series[i].timestamps.contains(t) {
                        let at = out.series[i].timestamps.firstIndex { $0 > t } ?? out.series[i].timestamps.count
                        out.series[i].timestamps.insert(t, at: at)
                        out.series[i].values.insert(v, at: at)
                    }
                }
            }
        }
        out.series.sort { $0.labels < $1.labels }
        return out
    }

    /// The `query_range` response body, as the querier writes it.
    public func responseBody(warnings: [String]) -> [UInt8] {
        var w = JSONBytes(capacity: 4096)
        w.append("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[")
        for (i, s) in series.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.append("{\"metric\":")
            w.append(s.metricJSON)
            let hists = s.values.indices.filter { Self.isHistogram(s.values[$0]) }
            if hists.count < s.values.count || hists.isEmpty {
                w.append(",\"values\":[")
                var first = true
                for j in 0..<s.timestamps.count where !Self.isHistogram(s.values[j]) {
                    if !first { w.byte(UInt8(ascii: ",")) }
                    first = false
                    w.byte(UInt8(ascii: "["))
                    w.timestamp(s.timestamps[j])
                    w.append(",\"")
                    w.append(s.values[j])
                    w.append("\"]")
                }
                w.byte(UInt8(ascii: "]"))
            }
            if !hists.isEmpty {
                w.append(",\"histograms\":[")
                for (k, j) in hists.enumerated() {
                    if k > 0 { w.byte(UInt8(ascii: ",")) }
                    w.byte(UInt8(ascii: "["))
                    w.timestamp(s.timestamps[j])
                    w.byte(UInt8(ascii: ","))
                    w.append(s.values[j])
                    w.byte(UInt8(ascii: "]"))
                }
                w.byte(UInt8(ascii: "]"))
            }
            w.byte(UInt8(ascii: "}"))
        }
        w.append("]}")
        let infos = warnings.filter { $0.hasPrefix(Self.infoPrefix) }.map { String($0.dropFirst(Self.infoPrefix.count)) }
        let plain = warnings.filter { !$0.hasPrefix(Self.infoPrefix) }
        w.annotations(warnings: plain, infos: infos)
        w.byte(UInt8(ascii: "}"))
        return w.bytes
    }
}
