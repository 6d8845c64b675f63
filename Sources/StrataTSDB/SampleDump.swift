import StrataCore

/// Prints samples in `promtool tsdb dump`'s format: `{labels} value timestamp_ms` with Go's
/// `%g` value formatting, series in label order, so the output of both tools can be diffed.
/// Histogram samples print in promql test notation (`{labels} {{…}} timestamp_ms`), which
/// a test file can load back.
public enum SampleDump {
    public static func dump(_ block: BlockReader, matchers: [Matcher] = [], minTime: Int64 = .min, maxTime: Int64 = .max,
                            write: (String) -> Void) throws {
        try block.forEachSeries(matching: matchers, minTime: minTime, maxTime: maxTime) { s in
            let prefix = s.labels.description + " "
            try block.forEachSample(of: s, minTime: minTime, maxTime: maxTime) { t, v in
                write(prefix + format(v) + " " + String(t) + "\n")
            }
        }
    }

    /// A float as `%g`; a histogram in promql test notation (`{{schema:1 count:3 …}}`).
    public static func format(_ v: SampleValue) -> String {
        switch v {
        case .float(let f): return GoFloat.g(f)
        case .histogram(let h): return HistogramNotation.format(h.toFloat())
        case .floatHistogram(let h): return HistogramNotation.format(h)
        }
    }

    /// The whole dump as one string (tests and small blocks).
    public static func text(_ block: BlockReader, matchers: [Matcher] = [], minTime: Int64 = .min, maxTime: Int64 = .max) throws -> String {
        var out = ""
        try dump(block, matchers: matchers, minTime: minTime, maxTime: maxTime) { out += $0 }
        return out
    }
}
