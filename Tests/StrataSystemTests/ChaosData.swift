import Foundation
import StrataCore
import StrataTestSupport

/// Input data of the chaos tests: OpenMetrics text for promtool to turn into 2h blocks, and
/// the samples it holds (what the bucket must keep, exactly once), in promtool's dump format.
struct ChaosSeries {
    static let hour: Int64 = 3_600_000
    static let step: Int64 = 60

    /// Gauge and counter samples of `instances`, every minute in `[fromMs, toMs)`, minus
    /// `gaps` (instance → [from, to) in ms), as OpenMetrics and as the expected sample set.
    static func make(instances: [String], fromMs: Int64, toMs: Int64, gaps: [String: Range<Int64>] = [:],
                     prefix: String = "chaos") -> (openMetrics: String, samples: SampleSet) {
        var om = "", set: SampleSet = [:]
        for (family, type) in [("\(prefix)_gauge", "gauge"), ("\(prefix)_requests", "counter")] {
            om += "# HELP \(family) Chaos test data.\n# TYPE \(family) \(type)\n"
            let metric = type == "counter" ? family + "_total" : family
            for (k, inst) in instances.enumerated() {
                let key = "{__name__=\"\(metric)\", instance=\"\(inst)\"}"
                var t = fromMs / 1000 / step * step + 30
                while t * 1000 < toMs {
                    defer { t += step }
                    if t * 1000 < fromMs { continue }
                    if let g = gaps[inst], g.contains(t * 1000) { continue }
                    let v = type == "counter" ? Double(t / step * Int64(k + 1) % 100_000) : Double((t / step * 7 + Int64(k) * 13) % 101) / 4
                    om += "\(metric){instance=\"\(inst)\"} \(v) \(t)\n"
                    set[key, default: [:]][t * 1000] = v
                }
            }
        }
        return (om + "# EOF\n", set)
    }

    /// Writes `om` and runs promtool to make level-1 2h blocks; their directories.
    static func blocks(_ promtool: String, _ om: String, tag: String) throws -> [String] {
        let dir = TestEnv.tempDir("chaos-\(tag)")
        try om.write(toFile: dir + "/in.om", atomically: true, encoding: .utf8)
        let r = try TestEnv.run(promtool, ["tsdb", "create-blocks-from", "openmetrics", dir + "/in.om", dir + "/blocks"], timeout: 300)
        guard r.status == 0 else { throw MissingComponent(description: "promtool create-blocks-from failed: \(r.stderr)") }
        return try FileManager.default.contentsOfDirectory(atPath: dir + "/blocks").filter { $0.count == 26 }.sorted()
            .map { dir + "/blocks/" + $0 }
    }
}

extension SampleSet {
    /// Union of two sample sets (equal timestamps must carry equal values).
    func union(_ other: SampleSet) -> SampleSet {
        merging(other) { a, b in a.merging(b) { x, _ in x } }
    }
}
