import StrataCore
import StrataTSDB

/// `strata block dump`: every sample of a block in `promtool tsdb dump`'s format.
public enum BlockDump {
    public static func run(dir: String, matchers: [Matcher], minTime: Int64, maxTime: Int64, out: OutputBuffer) throws {
        let block = try BlockReader(dir: dir)
        try SampleDump.dump(block, matchers: matchers, minTime: minTime, maxTime: maxTime) { out.write($0) }
    }
}
