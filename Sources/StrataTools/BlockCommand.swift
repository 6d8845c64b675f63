import ArgumentParser
import StrataCore
import StrataTSDB

#if canImport(Glibc)
import Glibc
#endif

/// `strata block`: work with one TSDB block directory.
public struct BlockCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Dump, inspect, verify, rewrite and generate Prometheus TSDB blocks.",
        subcommands: [Dump.self, Inspect.self, Verify.self, Rewrite.self, Gen.self]
    )
    public init() {}

    /// Runs `body`; a failure becomes one line on stderr and exit code 1.
    static func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch let e as ExitCode { throw e } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    static func parseTime(_ s: String?, default d: Int64) throws -> Int64 {
        guard let s else { return d }
        if let ms = Int64(s) { return ms }
        do { return try parseTimestamp(s) } catch { throw ValidationError("invalid time \"\(s)\": use milliseconds, RFC3339 or unix seconds") }
    }

    public struct Dump: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print every sample as `{labels} value timestamp_ms`, like `promtool tsdb dump`.")
        @Argument(help: "Block directory.") var blockDir: String
        @Option(help: "Series selector, e.g. 'up{job=\"api\"}'.") var match: String?
        @Option(name: .customLong("min-time"), help: "Minimum timestamp (ms, RFC3339 or unix seconds).") var minTime: String?
        @Option(name: .customLong("max-time"), help: "Maximum timestamp (ms, RFC3339 or unix seconds).") var maxTime: String?
        public init() {}

        public func run() throws {
            try guarded {
                let ms = try match.map { try SeriesSelector.parse($0) } ?? []
                let out = OutputBuffer()
                defer { out.flush() }
                try BlockDump.run(dir: blockDir, matchers: ms, minTime: try parseTime(minTime, default: .min),
                                  maxTime: try parseTime(maxTime, default: .max), out: out)
            }
        }
    }

    public struct Inspect: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show meta, stats, top metric names and label cardinality of a block.")
        @Argument(help: "Block directory.") var blockDir: String
        @Flag(help: "Print JSON instead of tables.") var json = false
        @Option(help: "Rows per top list.") var limit = 20
        public init() {}

        public func run() throws {
            try guarded {
                let r = try BlockReport.build(dir: blockDir, limit: limit)
                print(json ? r.json.serialized(indent: "  ") : r.text, terminator: json ? "\n" : "")
            }
        }
    }

    public struct Verify: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check every checksum, ordering, chunk reference and the meta stats; exit 1 on any problem.")
        @Argument(help: "Block directory.") var blockDir: String
        public init() {}

        public func run() throws {
            var v = BlockVerifier(dir: blockDir)
            let problems = v.run()
            for u in v.unsupportedChunks { printError("warning: " + u.description) }
            if problems.isEmpty {
                print("\(blockDir): ok (\(v.series) series, \(v.chunks) chunks, \(v.samples) samples)")
                return
            }
            for p in problems { printError(p.description) }
            printError("\(problems.count) problem(s) found")
            throw ExitCode(1)
        }
    }

    public struct Rewrite: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Write a new block (new ULID) with the series matching --delete removed; thanos.rewrites records it.")
        @Argument(help: "Source block directory.") var blockDir: String
        @Argument(help: "Directory the new block is created in.") var outParentDir: String
        @Option(help: "Series selector to delete (repeatable).") var delete: [String] = []
        public init() {}

        public func run() throws {
            try guarded {
                let dels = try delete.map { DeletionRequest(matchers: try SeriesSelector.parse($0)) }
                let r = try BlockRewriter.rewrite(blockDir: blockDir, outParentDir: outParentDir, deletions: dels)
                print("\(outParentDir)/\(r.meta.ulid): \(r.meta.stats.numSeries) series, \(r.meta.stats.numSamples) samples (\(r.seriesDeleted) series deleted, \(r.seriesChanged) changed)")
            }
        }
    }

    public struct Gen: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Generate realistic Kubernetes-like metrics as 2h blocks (counters with resets, gauges, histograms, pod churn).")
        @Option(help: "Output directory for the blocks.") var out: String
        @Option(help: "Series active at any time.") var series = 1000
        @Option(help: "Days of history, ending at --end.") var days: Double = 1
        @Option(help: "Scrape interval (Prometheus duration).") var interval = "15s"
        @Option(help: "End time (RFC3339 or unix seconds); default now.") var end: String?
        @Option(help: "Random seed: the same seed gives the same samples.") var seed: UInt64 = 1
        @Option(name: .customLong("label"), help: "External label k=v for thanos.labels (repeatable).") var labels: [String] = []
        @Flag(help: "Also write each pod's request latencies as a native histogram (schema 3), beside the classic one.")
        var nativeHistograms = false
        public init() {}

        public func run() throws {
            try guarded {
                var ext: [String: String] = [:]
                for l in labels {
                    guard let eq = l.firstIndex(of: "="), eq != l.startIndex else { throw ValidationError("--label takes k=v, got \"\(l)\"") }
                    ext[String(l[..<eq])] = String(l[l.index(after: eq)...])
                }
                let endMs = try parseTime(end, default: currentTimeMillis())
                var g = DemoDataGenerator(series: series, startMs: endMs - Int64(days * 86_400_000), endMs: endMs,
                                          intervalMs: try parseDuration(interval), seed: seed, externalLabels: ext)
                g.nativeHistograms = nativeHistograms
                let tty = isatty(2) == 1
                let metas = try g.run(outDir: out) { done, total in
                    if tty { writeError("\r\u{1B}[2Kblocks \(done)/\(total)" + (done == total ? "\n" : "")) } else if done == total || done % 50 == 0 {
                        printError("blocks \(done)/\(total)")
                    }
                }
                let samples = metas.reduce(UInt64(0)) { $0 + $1.stats.numSamples }
                print("wrote \(metas.count) blocks, \(samples) samples to \(out)")
            }
        }
    }
}
