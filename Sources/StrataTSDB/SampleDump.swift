import StrataCore

/// Prints samples in `promtool tsdb dump`'s format: `{labels} value timestamp_ms` with Go's
/// `%g` value formatting, series in label order, so the output of both tools can be diffed.
public enum SampleDump {
    public static func dump(_ block: BlockReader, matchers: [Matcher] = [], minTime: Int64 = .min, maxTime: Int64 = .max,
                            write: (String) -> Void) throws {
        var ts: [Int64] = []
        var vs: [Double] = []
        try block.forEachSeries(matching: matchers, minTime: minTime, maxTime: maxTime) { s in
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            try block.samples(of: s, minTime: minTime, maxTime: maxTime, into: &ts, &vs)
            let prefix = s.labels.description + " "
            for i in 0..<ts.count {
                write(prefix + GoFloat.g(vs[i]) + " " + String(ts[i]) + "\n")
            }
        }
    }

    /// The whole dump as one string (tests and small blocks).
    public static func text(_ block: BlockReader, matchers: [Matcher] = [], minTime: Int64 = .min, maxTime: Int64 = .max) throws -> String {
        var out = ""
        try dump(block, matchers: matchers, minTime: minTime, maxTime: maxTime) { out += $0 }
        return out
    }
}
