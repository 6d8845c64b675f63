import StrataCore
import StrataTSDB

/// `strata block dump`: every sample of a block as `{labels} value timestamp_ms`, the exact
/// format of `promtool tsdb dump`, so the two can be diffed.
public enum BlockDump {
    public static func run(dir: String, matchers: [Matcher], minTime: Int64, maxTime: Int64, out: OutputBuffer) throws {
        let block = try BlockReader(dir: dir)
        var ts: [Int64] = []
        var vs: [Double] = []
        try block.forEachSeries(matching: matchers, minTime: minTime, maxTime: maxTime) { s in
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            try block.samples(of: s, minTime: minTime, maxTime: maxTime, into: &ts, &vs)
            let prefix = s.labels.description + " "
            for i in 0..<ts.count {
                out.write(prefix + GoFloat.g(vs[i]) + " " + String(ts[i]) + "\n")
            }
        }
    }
}
