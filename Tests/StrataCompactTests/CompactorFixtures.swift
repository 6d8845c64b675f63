import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport
@testable import StrataCompact

/// Buckets and blocks for the compactor tests: real promtool blocks, `strata block gen`
/// blocks and small hand-made ones, uploaded the way the sidecar does.
enum Fixture {
    static let hour: Int64 = 3_600_000
    /// 2026-10-14T00:00Z: aligned to 2d windows, in the past of any test run.
    static let dayZero: Int64 = 172_800 * 10370 * 1000

    /// A filesystem bucket in a fresh temp dir (its root is `dir`).
    static func fsBucket(_ tag: String) throws -> (FilesystemBucket, String) {
        let dir = TestEnv.tempDir(tag)
        return (try FilesystemBucket(directory: dir), dir)
    }

    static func config(_ dataDir: String) -> CompactorConfig {
        var c = CompactorConfig(dataDir: dataDir)
        c.consistencyDelay = 0
        return c
    }

    /// OpenMetrics text: `series` gauges and one counter per series, a sample every `stepS`.
    static func openMetrics(series: Int, startMs: Int64, hours: Int, stepS: Int64 = 60) -> String {
        var out = "# HELP demo_gauge A gauge.\n# TYPE demo_gauge gauge\n"
        let n = Int64(hours) * 3600 / stepS
        for s in 0..<series {
            for i in 0..<n {
                let t = startMs / 1000 + i * stepS
                out += "demo_gauge{instance=\"i\(s)\"} \(Double((i * 7 + Int64(s) * 13) % 101) / 4) \(t)\n"
            }
        }
        out += "# HELP demo_requests A counter.\n# TYPE demo_requests counter\n"
        for s in 0..<series {
            for i in 0..<n {
                let t = startMs / 1000 + i * stepS
                out += "demo_requests_total{instance=\"i\(s)\"} \(i * Int64(s + 1) % 5000) \(t)\n"
            }
        }
        return out + "# EOF\n"
    }

    /// 2h blocks written by `promtool tsdb create-blocks-from openmetrics`.
    static func promtoolBlocks(_ promtool: String, om: String) throws -> [String] {
        let dir = TestEnv.tempDir("om")
        try om.write(toFile: dir + "/in.om", atomically: true, encoding: .utf8)
        let r = try TestEnv.run(promtool, ["tsdb", "create-blocks-from", "openmetrics", dir + "/in.om", dir + "/out"], timeout: 300)
        guard r.status == 0 else { throw TSDBError.invalidArgument("promtool create-blocks-from failed: \(r.stderr)") }
        return try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.count == 26 }.sorted().map { dir + "/out/" + $0 }
    }

    /// A block with `series` series and a sample every minute over `[minT, maxT)`.
    static func block(_ parent: String, _ minT: Int64, _ maxT: Int64, series: Int = 3, labels: [String: String] = ["cluster": "c1"],
                      resolution: Int64 = 0, offsetMs: Int64 = 0, value: Double = 1) throws -> String {
        let w = try BlockWriter(parentDir: parent, minTime: minT, maxTime: maxT)
        for s in 0..<series {
            let ts = Array(stride(from: minT + offsetMs, to: maxT, by: 60_000))
            try w.add(Labels(["__name__": "m", "s": "\(s)"]), timestamps: ts, values: ts.map { Double($0 / 60_000 % 97) + value })
        }
        let m = try w.commit {
            $0.thanos = ThanosMeta(labels: labels, source: "sidecar")
            if resolution > 0 { $0.thanos?.downsampleResolution = resolution }
        }
        return parent + "/" + m.ulid.description
    }

    static func upload(_ dirs: [String], to bucket: any Bucket, labels: [String: String] = ["cluster": "c1"], hash: Bool = true) async throws -> [BlockMeta] {
        var out: [BlockMeta] = []
        for d in dirs {
            out.append(try await BlockUploader(bucket: bucket).upload(blockDir: d, externalLabels: labels, source: "sidecar", hash: hash))
        }
        return out
    }

    /// Blocks in the bucket without a deletion mark, by (resolution, minTime).
    static func live(_ bucket: any Bucket) async throws -> [BlockMeta] {
        let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
        return snap.sortedMetas.filter { snap.deletionMarks[$0.ulid] == nil }.sorted { ($0.resolution, $0.minTime) < ($1.resolution, $1.minTime) }
    }

    /// `{labels} value ts` lines of all `dirs`, sorted by labels then time: the union of the
    /// blocks' samples, comparable between inputs and outputs.
    static func dump(_ dirs: [String], promtool: String?) throws -> [String] {
        var lines: [String] = []
        for d in dirs {
            let text = try promtool.map { try TestEnv.promtoolDump($0, block: d) } ?? SampleDump.text(try BlockReader(dir: d))
            lines += text.split(separator: "\n").map(String.init)
        }
        // Keys computed once per line: sorting with a parsing comparator is minutes in debug builds.
        let keyed = lines.map { line -> (Substring, Int64, String) in
            let brace = line.lastIndex(of: "}")!, space = line.lastIndex(of: " ")!
            return (line[..<brace], Int64(line[line.index(after: space)...])!, line)
        }
        return keyed.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.2)
    }
}
