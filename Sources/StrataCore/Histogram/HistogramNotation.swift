/// The promql test-script notation for native histograms, `{{schema:1 sum:3 count:22
/// buckets:[5 10 7]}}`: a printer matching Prometheus's `FloatHistogram.TestExpression()`
/// (used by `strata block dump`) and the parser of Prometheus's series-description grammar
/// (used by promql test `load` and `eval` lines). See `HistogramNotationParser`.
public enum HistogramNotation {
    /// Prints `h` the way `TestExpression()` does: the histogram is first compacted to at
    /// most one positive and one negative span (empty buckets at the ends dropped, gaps
    /// filled with zeros), zero-valued fields and offsets are left out, numbers use Go's `%g`.
    public static func format(_ h: FloatHistogram) -> String {
        var parts: [String] = []
        if h.schema != 0 { parts.append("schema:\(h.schema)") }
        if h.count != 0 { parts.append("count:" + GoFloat.g(h.count)) }
        if h.sum != 0 { parts.append("sum:" + GoFloat.g(h.sum)) }
        if h.zeroCount != 0 { parts.append("z_bucket:" + GoFloat.g(h.zeroCount)) }
        if h.zeroThreshold != 0 { parts.append("z_bucket_w:" + GoFloat.g(h.zeroThreshold)) }
        if h.usesCustomBuckets { parts.append("custom_values:" + list(h.customValues)) }
        switch h.counterResetHint {
        case .unknown: break
        case .counterReset: parts.append("counter_reset_hint:reset")
        case .notCounterReset: parts.append("counter_reset_hint:not_reset")
        case .gauge: parts.append("counter_reset_hint:gauge")
        }
        if let (offset, buckets) = compacted(h.positiveSpans, h.positiveBuckets) {
            if offset != 0 { parts.append("offset:\(offset)") }
            parts.append("buckets:" + list(buckets))
        }
        if let (offset, buckets) = compacted(h.negativeSpans, h.negativeBuckets) {
            if offset != 0 { parts.append("n_offset:\(offset)") }
            parts.append("n_buckets:" + list(buckets))
        }
        return "{{" + parts.joined(separator: " ") + "}}"
    }

    /// Go's `%g` of a `[]float64`: `[1 2.5 3]`.
    static func list(_ vs: [Double]) -> String {
        "[" + vs.map(GoFloat.g).joined(separator: " ") + "]"
    }

    /// The buckets as one dense span from the first to the last non-empty bucket
    /// (Prometheus `Compact(math.MaxInt)`); nil when every bucket is empty.
    static func compacted(_ spans: [HistogramSpan], _ counts: [Double]) -> (Int32, [Double])? {
        let walked = HistogramBucket.walk(spans, counts)
        guard let first = walked.firstIndex(where: { $0.1 != 0 }),
              let last = walked.lastIndex(where: { $0.1 != 0 }) else { return nil }
        let start = walked[first].0
        let width = Int(walked[last].0) - Int(start) + 1
        // A corrupt layout can spread a few buckets over billions of indices; print those
        // without the gaps rather than allocate them (Prometheus would not get that far).
        guard width > 0, width <= max(1 << 20, walked.count) else {
            return (start, walked[first...last].map(\.1).filter { $0 != 0 })
        }
        var out = [Double](repeating: 0, count: width)
        for k in first...last {
            let j = Int(walked[k].0) - Int(start)
            if j >= 0 && j < width { out[j] = walked[k].1 }
        }
        return (start, out)
    }
}

extension FloatHistogram {
    /// Parses one histogram in test notation, `{{…}}`, with nothing else around it but
    /// blanks. Throws `HistogramNotationError` naming the byte position of the problem.
    public init(parsingTestNotation text: String) throws {
        var p = HistogramNotationParser(Array(text.utf8))
        p.skipBlanks()
        let r = try p.parseHistogram()
        p.skipBlanks()
        guard p.atEnd else { throw p.error("unexpected characters after the histogram") }
        self = r.histogram
    }

    /// The test notation of this histogram (Prometheus `TestExpression()`).
    public var testNotation: String { HistogramNotation.format(self) }
}

/// A syntax error in histogram test notation at `position` (a byte offset).
public struct HistogramNotationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: Int
    public var message: String
    public var description: String { "histogram description at position \(position): \(message)" }
}
