import Foundation
import StrataCore

/// Where an expression starts in the query text, as Prometheus prints it after an
/// annotation: 1-based line and byte column (`(1:15)`).
public struct SourcePos: Sendable, Hashable {
    public var line: Int
    public var col: Int
    public init(line: Int, col: Int) {
        self.line = line
        self.col = col
    }

    /// The position of byte `offset` of `query`.
    public init(offset: Int, in query: [UInt8]) {
        var line = 1, lastBreak = -1
        for i in 0..<min(offset, query.count) where query[i] == 10 {
            line += 1
            lastBreak = i
        }
        self.init(line: line, col: offset - lastBreak)
    }
}

/// The warnings and infos a query produced beside its result (Prometheus's
/// annotations): returned by the API as `warnings` and `infos`. Like Prometheus, two
/// annotations with the same text are one, whatever their positions (the last one's
/// position is shown).
public struct Annotations: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case warning, info }

    struct Entry: Sendable, Equatable {
        var kind: Kind
        var text: String
        var pos: SourcePos?
        var monotonicity: MonotonicityDetails?
        var rendered: String {
            let prefix = kind == .warning ? "PromQL warning: " : "PromQL info: "
            let details = monotonicity?.rendered ?? ""
            guard let pos else { return prefix + text + details }
            return prefix + text + details + " (\(pos.line):\(pos.col))"
        }
    }

    /// histogram_quantile's "fixed for monotonicity" info, merged over every step it occurred
    /// at, as Prometheus merges it.
    struct MonotonicityDetails: Sendable, Equatable {
        var minT: Int64, maxT: Int64
        var minBucket: Double, maxBucket: Double, maxDiff: Double
        var count: Int

        mutating func merge(_ o: MonotonicityDetails) {
            minT = min(minT, o.minT)
            maxT = max(maxT, o.maxT)
            minBucket = min(minBucket, o.minBucket)
            maxBucket = max(maxBucket, o.maxBucket)
            maxDiff = max(maxDiff, o.maxDiff)
            count += o.count
        }

        var rendered: String {
            ", from buckets \(formatGoFloat(minBucket)) to \(formatGoFloat(maxBucket)), with a max diff of "
                + String(format: "%.2g", maxDiff) + ", over \(count) samples from \(rfc3339(minT)) to \(rfc3339(maxT))"
        }

        func rfc3339(_ ms: Int64) -> String {
            let t = GoTime(unixSeconds: ms / 1000), d = t.date
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(d.year)-\(two(d.month))-\(two(d.day))T\(two(t.hour)):\(two(t.minute)):\(two(Int((ms / 1000) % 60)))Z"
        }
    }

    private var entries: [Entry] = []
    private var index: [String: Int] = [:]

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    /// The warnings as the API shows them (`PromQL warning: … (line:col)`), in first-seen order.
    public var warnings: [String] { entries.filter { $0.kind == .warning }.map(\.rendered) }
    public var infos: [String] { entries.filter { $0.kind == .info }.map(\.rendered) }

    public mutating func warn(_ text: String, _ pos: SourcePos?) { add(Entry(kind: .warning, text: text, pos: pos)) }
    public mutating func info(_ text: String, _ pos: SourcePos?) { add(Entry(kind: .info, text: text, pos: pos)) }

    public mutating func merge(_ other: Annotations) {
        for e in other.entries { add(e) }
    }

    /// Classic buckets of `metric` (empty without delayed name removal) needed their counts
    /// forced monotonic at time `t`.
    mutating func forcedMonotonicity(_ fix: MonotonicityFix, at t: Int64, metric: String, _ pos: SourcePos?) {
        let text = AnnotationText.forMetric("input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)", metric)
        add(Entry(kind: .info, text: text, pos: pos,
                  monotonicity: MonotonicityDetails(minT: t, maxT: t, minBucket: fix.minBucket, maxBucket: fix.maxBucket,
                                                    maxDiff: fix.maxDiff, count: 1)))
    }

    private mutating func add(_ e: Entry) {
        let key = (e.kind == .warning ? "w" : "i") + e.text
        if let i = index[key] {
            var e = e
            if let old = entries[i].monotonicity, var new = e.monotonicity {
                new.merge(old)
                e.monotonicity = new
            }
            entries[i] = e
        } else {
            index[key] = entries.count
            entries.append(e)
        }
    }
}

/// The texts of Prometheus 3.14's annotations (util/annotations), without the
/// `PromQL warning: ` / `PromQL info: ` prefix and the position.
enum AnnotationText {
    static func forMetric(_ text: String, _ metric: String) -> String {
        metric.isEmpty ? text : text + " for metric name \(goQuote(metric))"
    }
    static func mixedFloatsHistograms(_ metric: String) -> String {
        "encountered a mix of histograms and floats for metric name \(goQuote(metric))"
    }
    static let mixedFloatsHistogramsAggregation = "encountered a mix of histograms and floats for aggregation"
    static func mixedExponentialCustom(_ metric: String) -> String {
        "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \(goQuote(metric))"
    }
    static func notCounter(_ metric: String) -> String { "this native histogram metric is not a counter: \(goQuote(metric))" }
    static func notGauge(_ metric: String) -> String { "this native histogram metric is not a gauge: \(goQuote(metric))" }
    static func ignoredInAggregation(_ op: String) -> String { "ignored histogram in \(op) aggregation" }
    static func ignoredInMixedRange(_ metric: String) -> String {
        "ignored histograms in a range containing both floats and histograms for metric name \(goQuote(metric))"
    }
    static func incompatibleTypes(_ lhs: String, _ op: String, _ rhs: String) -> String {
        "incompatible sample types encountered for binary operator \(goQuote(op)): \(lhs) \(op) \(rhs)"
    }
    static func incompatibleBucketLayout(_ op: String) -> String { "incompatible bucket layout encountered for binary operator \(op)" }
    /// `operation`: "addition", "subtraction" or "aggregation".
    static func counterResetCollision(_ operation: String) -> String { "conflicting counter resets during histogram \(operation)" }
    static func mismatchedCustomBuckets(_ operation: String) -> String { "mismatched custom buckets were reconciled during \(operation)" }
    static func invalidQuantile(_ q: Double) -> String { "quantile value should be between 0 and 1, got \(formatGoFloat(q))" }
    static func invalidRatio(_ r: Double, cappedTo: Double) -> String {
        "ratio value should be between -1 and 1, got \(formatGoFloat(r)), capping to \(formatGoFloat(cappedTo))"
    }
    static func possibleNonCounter(_ metric: String) -> String {
        "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \(goQuote(metric))"
    }
}
