import ArgumentParser
import StrataCore
import StrataTSDB

#if canImport(Glibc)
import Glibc
#endif

/// `strata bench`: micro-benchmarks of the hot paths, for docs/benchmarks.md. Run them from a
/// release build (`swift build -c release`); debug builds are about 8× slower.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: XOR and native histogram chunk coding, postings intersection, the PromQL query set (use a release build).",
        subcommands: [XOR.self, HistogramBench.self, PostingsBench.self, BenchPromQL.self, HeadBench.self, RemoteWriteBench.self]
    )
    public init() {}

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Best of `rounds` timings of `body`, in seconds (the least disturbed run on a shared machine).
    static func best(rounds: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let t0 = now()
            body()
            best = min(best, now() - t0)
        }
        return best
    }

    public struct XOR: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "XOR and XOR2 encode and decode speed on realistic series (counters, gauges, 15s scrapes with jitter).")
        @Option(help: "Chunks of 120 samples to code.") var chunks = 100_000
        @Option(help: "Timed rounds (best is reported).") var rounds = 5
        @Option(help: "Instead of synthetic series, decode every chunk of this block (e.g. from `strata block gen`).") var block: String?
        public init() {}

        public func run() throws {
            if let block { return try decodeBlock(block) }
            var rng = SystemRandomNumberGenerator()
            var series: [([Int64], [Double])] = []
            for s in 0..<64 {
                var ts: [Int64] = [], vs: [Double] = []
                var t: Int64 = 1_700_000_000_000
                var v = Double(s * 100)
                for _ in 0..<120 {
                    t += 15_000 + Int64.random(in: -3...3, using: &rng)
                    v = s % 2 == 0 ? v + Double(Int.random(in: 0...40, using: &rng)) : Double(Int.random(in: 100...200, using: &rng)) + 0.25
                    ts.append(t)
                    vs.append(v)
                }
                series.append((ts, vs))
            }
            var encoded: [[UInt8]] = []
            let enc = best(rounds: rounds) {
                encoded.removeAll(keepingCapacity: true)
                for i in 0..<chunks {
                    let (ts, vs) = series[i % series.count]
                    var a = XORAppender()
                    for k in 0..<ts.count { a.append(ts[k], vs[k]) }
                    encoded.append(a.bytes)
                }
            }
            var sink: UInt64 = 0
            let dec = best(rounds: rounds) {
                for c in encoded {
                    c.withUnsafeBytes { buf in
                        var it = XORIterator(buf)
                        while it.next() { sink &+= it.vbits &+ UInt64(bitPattern: it.t) }
                    }
                }
            }
            var tsBuf = [Int64](repeating: 0, count: 65536), vBuf = [UInt64](repeating: 0, count: 65536)
            let bulk = best(rounds: rounds) {
                for c in encoded {
                    let n = c.withUnsafeBytes { XORBulkDecoder.decode($0, ts: &tsBuf, vbits: &vBuf) }
                    sink &+= UInt64(n) &+ vBuf[n - 1]
                }
            }
            let samples = Double(chunks * 120)
            print("xor bulk decode: \(Int(samples / bulk / 1e6)) M samples/s")
            let bytes = encoded.reduce(0) { $0 + $1.count }
            print("xor encode: \(Int(samples / enc / 1e6)) M samples/s")
            print("xor decode: \(Int(samples / dec / 1e6)) M samples/s")
            print("bytes/sample: \(GoFloat.f((Double(bytes) / samples * 100).rounded() / 100))  (checksum \(sink % 10))")
            // Prometheus 3.11+'s XOR2 on the same series, without and with start timestamps
            // (a counter's ST set once per chunk, as from OpenMetrics `_created`).
            for withST in [false, true] {
                var xor2: [[UInt8]] = []
                let enc2 = best(rounds: rounds) {
                    xor2.removeAll(keepingCapacity: true)
                    for i in 0..<chunks {
                        let (ts, vs) = series[i % series.count]
                        var a = XOR2Appender()
                        for k in 0..<ts.count { a.append(st: withST ? ts[0] - 3_600_000 : 0, ts[k], vs[k]) }
                        xor2.append(a.bytes)
                    }
                }
                let dec2 = best(rounds: rounds) {
                    for c in xor2 {
                        c.withUnsafeBytes { buf in
                            var it = XOR2Iterator(buf)
                            while it.next() { sink &+= it.vbits &+ UInt64(bitPattern: it.t) &+ UInt64(bitPattern: it.st) }
                        }
                    }
                }
                let b2 = xor2.reduce(0) { $0 + $1.count }
                let name = withST ? "xor2 with start timestamps" : "xor2"
                print("\(name) encode: \(Int(samples / enc2 / 1e6)) M samples/s, decode: \(Int(samples / dec2 / 1e6)) M samples/s, "
                      + "bytes/sample: \(GoFloat.f((Double(b2) / samples * 100).rounded() / 100))  (checksum \(sink % 10))")
            }
        }

        /// Decode speed over a real block's chunks, read straight from the mmap'd segments.
        func decodeBlock(_ dir: String) throws {
            let b = try BlockReader(dir: dir)
            var refs: [ChunkRef] = []
            try b.forEachSeries(matching: []) { s in refs += s.chunks.map(\.ref) }
            var datas: [UnsafeRawBufferPointer] = []
            for r in refs { datas.append(try b.chunks.chunk(r, checkCRC: false).data) }
            var sink: UInt64 = 0
            var n = 0
            let t = best(rounds: rounds) {
                n = 0
                for d in datas {
                    var it = XORIterator(d)
                    while it.next() { sink &+= it.vbits &+ UInt64(bitPattern: it.t); n += 1 }
                }
            }
            var tsBuf = [Int64](repeating: 0, count: 65536), vBuf = [UInt64](repeating: 0, count: 65536)
            let bulk = best(rounds: rounds) {
                for d in datas { sink &+= UInt64(XORBulkDecoder.decode(d, ts: &tsBuf, vbits: &vBuf)) }
            }
            print("xor bulk decode: \(Int(Double(n) / bulk / 1e6)) M samples/s")
            let bytes = datas.reduce(0) { $0 + $1.count }
            print("xor decode (\(refs.count) chunks of \(dir)): \(Int(Double(n) / t / 1e6)) M samples/s, \(GoFloat.f((Double(bytes) / Double(n) * 100).rounded() / 100)) bytes/sample (checksum \(sink % 10))")
        }
    }

    public struct PostingsBench: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "postings", abstract: "Intersection of two sorted 1M-entry postings lists.")
        @Option(help: "Entries per list.") var size = 1_000_000
        @Option(help: "Timed rounds (best is reported).") var rounds = 10
        public init() {}

        public func run() throws {
            var rng = SystemRandomNumberGenerator()
            func list() -> [UInt32] {
                var x: UInt32 = 0
                return (0..<size).map { _ in x += UInt32.random(in: 1...4, using: &rng); return x }
            }
            let a = list(), b = list()
            var n = 0
            let t = best(rounds: rounds) { n = Postings.intersect(a, b).count }
            print("postings intersect 2×\(size): \(GoFloat.f((t * 1e6).rounded() / 1000)) ms (\(n) common, \(Int(Double(2 * size) / t / 1e6)) M entries/s)")
            let small = Array(a.prefix(1000))
            let ts = best(rounds: rounds) { n = Postings.intersect(small, b).count }
            print("postings intersect 1k×\(size) (galloping): \(GoFloat.f((ts * 1e9).rounded() / 1000)) µs")
        }
    }
}
