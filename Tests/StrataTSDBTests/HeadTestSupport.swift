import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// Series → "t value" lines in time order.
typealias SampleSet = [Labels: [String]]

/// What a test appended, to compare with what readers return.
struct Expected {
    var samples: SampleSet = [:]

    mutating func add(_ l: Labels, _ t: Int64, _ v: SampleValue) { samples[l, default: []].append("\(t) \(canonical(v))") }
    mutating func add(_ l: Labels, _ t: Int64, _ v: Double) { add(l, t, .float(v)) }

    /// `promtool tsdb dump` output of 2.42: float samples only, series in label order.
    func promtoolText(floatsOnly: Bool = true) -> String {
        var out = ""
        for l in samples.keys.sorted() {
            for line in samples[l]! where line.contains(" F ") {
                let parts = line.split(separator: " ")
                out += "\(l) \(parts[2]) \(parts[0])\n"
            }
        }
        return out
    }

    var count: Int { samples.values.reduce(0) { $0 + $1.count } }
}

/// Decodes chunks of any encoding into samples.
func decode(_ chunks: [EncodedChunk]) throws -> [(Int64, SampleValue)] {
    var out: [(Int64, SampleValue)] = []
    for c in chunks {
        try c.data.withUnsafeBytes { buf in
            switch c.encoding {
            case .xor:
                var it = XORIterator(buf)
                while it.next() { out.append((it.t, .float(it.v))) }
            case .histogram:
                var it = try HistogramChunkIterator(buf)
                while try it.next() { out.append((it.t, .histogram(it.histogram))) }
            case .floatHistogram:
                var it = try FloatHistogramChunkIterator(buf)
                while try it.next() { out.append((it.t, .floatHistogram(it.histogram))) }
            default:
                Issue.record("unexpected chunk encoding \(c.encoding)")
            }
        }
    }
    return out
}

/// Every sample the head holds.
func samples(of head: Head) throws -> SampleSet {
    var out: SampleSet = [:]
    try head.forEachSeries { l, chunks in
        out[l] = try decode(chunks).map { "\($0.0) \(canonical($0.1))" }
    }
    return out
}

/// Every sample of the blocks in `dir` (and its subdirectories named like ULIDs), merged
/// per series in time order.
func blockSamples(_ dir: String) throws -> SampleSet {
    var perSeries: [Labels: [(Int64, String)]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where (try? ULID(parsing: name)) != nil {
        let b = try BlockReader(dir: dir + "/" + name)
        try b.forEachSeries(matching: []) { s in
            try b.forEachSample(of: s) { t, v in perSeries[s.labels, default: []].append((t, canonical(v))) }
        }
    }
    return perSeries.mapValues { $0.sorted { $0.0 < $1.0 }.map { "\($0.0) \($0.1)" } }
}

/// The first series (in label order) whose samples differ, for readable failures.
func firstDifference(_ a: SampleSet, _ b: SampleSet) -> String? {
    for l in Set(a.keys).union(b.keys).sorted() {
        let x = a[l] ?? [], y = b[l] ?? []
        if x != y {
            if let d = firstDifference(x, y) { return "\(l): \(d)" }
        }
    }
    return nil
}

/// Labels of test series `i` of metric `name`.
func seriesLabels(_ name: String, _ i: Int, extra: [String: String] = [:]) -> Labels {
    var d = ["__name__": name, "instance": "host-\(i % 7).example.org:9100", "job": "node", "i": String(i)]
    for (k, v) in extra { d[k] = v }
    return Labels(d)
}
