import ArgumentParser
import StrataCore
import StrataTSDB

extension BenchCommand {
    /// `strata bench histogram --block DIR`: native histogram chunk decoding over a block's
    /// histogram chunks (e.g. `strata block gen --native-histograms`), with the same block's
    /// XOR chunks decoded in the same run as the reference point.
    public struct HistogramBench: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "histogram",
            abstract: "Native histogram chunk decode speed (samples/s, buckets/s) beside XOR decode of the same block.")
        @Option(help: "Block holding histogram chunks (e.g. from `strata block gen --native-histograms`).") var block: String
        @Option(help: "Timed rounds (best is reported).") var rounds = 5
        public init() {}

        public func run() throws {
            let b = try BlockReader(dir: block)
            var hist: [UnsafeRawBufferPointer] = [], xor: [UnsafeRawBufferPointer] = []
            try b.forEachSeries(matching: []) { s in
                for c in s.chunks {
                    let (enc, data) = try b.chunks.chunk(c.ref, checkCRC: false)
                    if enc == ChunkEncoding.histogram.rawValue { hist.append(data) } else if enc == ChunkEncoding.xor.rawValue { xor.append(data) }
                }
            }
            guard !hist.isEmpty else { throw ValidationError("\(block) holds no histogram chunks") }
            var sink: UInt64 = 0
            var samples = 0, buckets = 0
            var h = Histogram(), f = FloatHistogram()
            // Decoding only: spans and delta-encoded counts as stored.
            let raw = try bestThrowing(rounds: rounds) {
                samples = 0
                buckets = 0
                for d in hist {
                    var it = try HistogramChunkIterator(d)
                    while try it.next() {
                        it.read(into: &h)
                        samples += 1
                        buckets += h.positiveBuckets.count + h.negativeBuckets.count
                        sink &+= UInt64(bitPattern: it.t) &+ UInt64(h.positiveBuckets.count)
                    }
                }
            }
            // What the querier needs: absolute float counts.
            let asFloat = try bestThrowing(rounds: rounds) {
                for d in hist {
                    var it = try HistogramChunkIterator(d)
                    while try it.next() {
                        it.read(into: &f)
                        sink &+= UInt64(f.positiveBuckets.count)
                    }
                }
            }
            var values = 0
            let x = best(rounds: rounds) {
                values = 0
                for d in xor {
                    var it = XORIterator(d)
                    while it.next() { sink &+= it.vbits; values += 1 }
                }
            }
            let bytes = hist.reduce(0) { $0 + $1.count }
            print("histogram chunks: \(hist.count), \(samples) samples, \(buckets / max(samples, 1)) buckets/sample, "
                  + "\(GoFloat.f((Double(bytes) / Double(samples) * 10).rounded() / 10)) bytes/sample")
            print("histogram decode: \(GoFloat.f((Double(samples) / raw / 1e5).rounded() / 10)) M samples/s, "
                  + "\(Int(Double(buckets) / raw / 1e6)) M buckets/s")
            print("histogram decode to float counts: \(GoFloat.f((Double(samples) / asFloat / 1e5).rounded() / 10)) M samples/s, "
                  + "\(Int(Double(buckets) / asFloat / 1e6)) M buckets/s")
            print("xor decode (same block, \(xor.count) chunks): \(Int(Double(values) / x / 1e6)) M values/s  (checksum \(sink % 10))")
        }

        func bestThrowing(rounds: Int, _ body: () throws -> Void) throws -> Double {
            var error: Error?
            let t = best(rounds: rounds) { do { try body() } catch let e { error = e } }
            if let error { throw error }
            return t
        }
    }
}
