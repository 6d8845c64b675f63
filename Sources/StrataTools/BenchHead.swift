import ArgumentParser
import Foundation
import StrataCore
import StrataTSDB

extension BenchCommand {
    /// `strata bench head`: append throughput of a `Head` with its WAL on (fsync per commit
    /// by default) and memory per active series, on scrape-like data: every series gets one
    /// sample per 15 s "scrape", committed in batches. The first scrape creates the series
    /// (append by labels); later scrapes append by ref, as a scraper's or rule group's
    /// series cache does. Memory is the growth of the process's resident set per series.
    public struct HeadBench: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "head",
            abstract: "Head append throughput with the WAL on, and memory per active series.")
        @Option(help: "Active series.") var series = 100_000
        @Option(help: "Scrapes (samples per series); 120 fills one chunk per series.") var scrapes = 120
        @Option(help: "Samples per commit (one WAL batch, one fsync).") var batch = 10_000
        @Option(help: "WAL fsync: batch (every commit) or never (at segment end and close, as Prometheus).") var sync = "batch"
        @Option(help: "Data dir (on the disk to measure; removed afterwards). Default: a new dir under the current one.") var dir: String?
        public init() {}

        public func run() throws {
            guard let policy = WALSyncPolicy(rawValue: sync) else { throw ValidationError("--sync is batch or never") }
            let path = dir ?? FileManager.default.currentDirectoryPath + "/.bench-head-\(getpid())"
            try? FileManager.default.removeItem(atPath: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var refs = [UInt64](repeating: 0, count: series)
            var values = [Double](repeating: 0, count: series)
            // Cheap deterministic steps (SystemRandomNumberGenerator is a syscall per call).
            var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
            let rss0 = residentBytes()
            let head = try Head.open(dir: path, options: HeadOptions(walSync: policy))
            let t0: Int64 = 1_700_000_000_000
            var commits = 0

            // Scrape 1: series created by labels (built here once and kept only by the head).
            let create = try timed {
                let app = head.appender()
                for i in 0..<series {
                    refs[i] = try app.append(Self.labels(i), t0, values[i])
                    if app.count >= batch { try app.commit(); commits += 1 }
                }
                try app.commit()
                commits += 1
            }
            let rss1 = residentBytes()

            // Scrapes 2...: by ref; counters growing by small random steps.
            let steady = try timed {
                let app = head.appender()
                for s in 1..<scrapes {
                    let t = t0 + Int64(s) * 15_000
                    for i in 0..<series {
                        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
                        values[i] += Double(rng % 21)
                        try app.append(ref: refs[i], t, values[i])
                        if app.count >= batch { try app.commit(); commits += 1 }
                    }
                }
                try app.commit()
                commits += 1
            }
            let rss2 = residentBytes()
            let st = head.stats
            try head.close()
            var walBytes: Int64 = 0
            for s in try WALFormat.segments(in: path + "/wal") { walBytes += try fileSize(WALFormat.segmentPath(path + "/wal", s)) }

            let steadySamples = Double(series * (scrapes - 1))
            print("series: \(series), scrapes: \(scrapes) (\(st.samples) samples, \(st.chunks) chunks), commit batch: \(batch) samples, WAL fsync: \(policy.rawValue), \(commits) commits")
            print(String(format: "first scrape (series created, by labels): %.2f M samples/s (%.2f s)", Double(series) / create / 1e6, create))
            print(String(format: "appends by ref, WAL on: %.2f M samples/s (%.0f samples in %.2f s)", steadySamples / steady / 1e6, steadySamples, steady))
            print(String(format: "WAL: %.2f bytes/sample", Double(walBytes) / Double(st.samples)))
            print(String(format: "memory per active series (RSS growth): %.0f bytes with 1 sample, %.0f bytes with %d samples",
                         Double(rss1 - rss0) / Double(series), Double(rss2 - rss0) / Double(series), scrapes))
        }

        /// Five labels of realistic sizes, sorted by name.
        static func labels(_ i: Int) -> Labels {
            Labels(sortedPairs: [
                Label("__name__", "bench_metric_\(i % 50)_total"),
                Label("instance", "host-\(i / 500).bench.example.org:9100"),
                Label("job", "node"),
                Label("mode", ["idle", "user", "system", "iowait"][i % 4]),
                Label("series", String(i)),
            ])
        }

        func timed(_ body: () throws -> Void) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }

        /// Resident set size from /proc/self/statm.
        func residentBytes() -> Int {
            guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
            let f = s.split(separator: " ")
            return f.count > 1 ? (Int(f[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        }
    }
}
