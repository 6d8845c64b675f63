import Foundation
import StrataTestSupport
import Testing
import StrataCore
@testable import StrataTSDB

/// Histogram chunks written by a real Prometheus 2.42 scraping native histograms
/// (testdata/native-histograms, see its README): our encoder reproduces every chunk byte for byte,
/// our decoder agrees with Prometheus's own query API, and verify and dump take the block.
/// The data is committed, so these tests never skip.
@Suite struct NativeHistogramPrometheusTests {
    func blockDir() throws -> String { NativeHistogramData.blockDir }

    @Test func everyHistogramChunkReencodesToIdenticalBytes() throws {
        let block = try BlockReader(dir: try blockDir())
        var checked = [UInt8: Int]()
        try block.forEachSeries(matching: []) { s in
            for c in s.chunks {
                let (enc, data) = try block.chunks.chunk(c.ref)
                let header = CounterResetHeader(rawValue: data[2] & 0xC0)!
                #expect(data[2] & 0x3F == 0)
                var ours: [UInt8]
                switch enc {
                case ChunkEncoding.histogram.rawValue:
                    var it = try HistogramChunkIterator(data)
                    var e = HistogramChunkEncoder(header: header)
                    while try it.next() { e.append(it.t, it.histogram) }
                    ours = e.bytes
                case ChunkEncoding.floatHistogram.rawValue:
                    var it = try FloatHistogramChunkIterator(data)
                    var e = FloatHistogramChunkEncoder(header: header)
                    while try it.next() { e.append(it.t, it.histogram) }
                    ours = e.bytes
                default:
                    continue
                }
                checked[enc, default: 0] += 1
                let theirs = Array(data)
                let firstDiff = (0..<min(ours.count, theirs.count)).first { ours[$0] != theirs[$0] } ?? (ours.count == theirs.count ? nil : min(ours.count, theirs.count))
                #expect(firstDiff == nil, "\(s.labels) chunk \(c.ref): \(ours.count) bytes re-encoded vs \(theirs.count) written by Prometheus, first difference at byte \(firstDiff ?? -1)")
            }
        }
        #expect(checked[2, default: 0] > 0 && checked[3, default: 0] > 0, "chunks checked per encoding: \(checked)")
    }

    /// The oracle: every raw sample of the `nh*` series as Prometheus 2.42's query API
    /// returns them (`histograms: [[ts, {count, sum, buckets}]]` with buckets as
    /// `[boundaryRule, lower, upper, count]`), compared as the same strings, so bucket
    /// boundaries are checked too. It is `*.api-instant.json.gz`: one instant query per
    /// sample (make-instant-oracle.py), because 2.42's range answer `*.api-raw.json.gz`
    /// aliases the histogram points of a series (all but the last show one shared object).
    @Test func decodedSamplesMatchPrometheusQueryAPI() throws {
        let block = try BlockReader(dir: try blockDir())
        let json = try NativeHistogramData.oracleJSON()
        let result = try #require(json["data"]?["result"]?.arrayValue)
        var histogramSeries = 0, compared = 0
        for r in result {
            let labels = Labels(Dictionary(uniqueKeysWithValues: (r["metric"]?.objectValue ?? []).map { ($0.key, $0.value.stringValue ?? "") }))
            let matchers = try labels.pairs.map { try Matcher(.equal, $0.name, $0.value) }
            let series = try block.series(matching: matchers).filter { $0.labels == labels }
            try #require(series.count == 1, "series \(labels) not in the block")
            var want: [String] = []
            for v in r["values"]?.arrayValue ?? [] { want.append(line(v, nil)) }
            for v in r["histograms"]?.arrayValue ?? [] { want.append(line(v, v.arrayValue?[1])) }
            if r["histograms"] != nil { histogramSeries += 1 }
            var got: [(Int64, String)] = []
            try block.forEachSample(of: series[0]) { t, v in
                switch v {
                case .float(let f):
                    if !isStaleNaN(f) { got.append((t, "\(t) " + GoFloat.f(f))) }
                case .histogram(let h):
                    if !isStaleNaN(h.sum) { got.append((t, "\(t) " + apiText(h.toFloat()))) }
                case .floatHistogram(let h):
                    if !isStaleNaN(h.sum) { got.append((t, "\(t) " + apiText(h))) }
                }
            }
            want.sort()
            let gotLines = got.map(\.1).sorted()
            #expect(firstDifference(gotLines, want) == nil, "\(labels)")
            compared += want.count
        }
        #expect(histogramSeries > 0 && compared > 100)
    }

    /// `ms value` for a float pair or `ms {count sum [rule lo hi n]…}` for a histogram pair.
    func line(_ pair: JSONValue, _ h: JSONValue?) -> String {
        let a = pair.arrayValue ?? []
        let ms: Int64
        switch a.first {
        case .int(let s): ms = s * 1000
        case .double(let d): ms = Int64((d * 1000).rounded())
        default: ms = -1
        }
        guard let h else { return "\(ms) " + (a.count > 1 ? a[1].stringValue ?? "?" : "?") }
        var s = "\(ms) {count:\(h["count"]?.stringValue ?? "?") sum:\(h["sum"]?.stringValue ?? "?")"
        for b in h["buckets"]?.arrayValue ?? [] {
            let f = b.arrayValue ?? []
            s += " [\(f.first?.int64Value ?? -1) " + f.dropFirst().map { $0.stringValue ?? "?" }.joined(separator: " ") + "]"
        }
        return s + "}"
    }

    /// The same text from our model: the API skips empty buckets.
    func apiText(_ h: FloatHistogram) -> String {
        var s = "{count:\(GoFloat.f(h.count)) sum:\(GoFloat.f(h.sum))"
        for b in h.allBuckets() where b.count != 0 {
            s += " [\(b.boundaryRule) \(GoFloat.f(b.lower)) \(GoFloat.f(b.upper)) \(GoFloat.f(b.count))]"
        }
        return s + "}"
    }

    @Test func verifyAcceptsAndDumpPrintsEverySeries() throws {
        let dir = try blockDir()
        var v = BlockVerifier(dir: dir)
        let problems = v.run()
        #expect(problems.isEmpty, "\(problems)")
        let block = try BlockReader(dir: dir)
        #expect(UInt64(v.samples) == block.meta.stats.numSamples)
        let dump = try SampleDump.text(block)
        let lines = dump.split(separator: "\n")
        #expect(UInt64(lines.count) == block.meta.stats.numSamples)
        var seen = Set<String>()
        for l in lines { seen.insert(String(l[..<l.firstIndex(of: "}")!])) }
        #expect(UInt64(seen.count) == block.meta.stats.numSeries)
        #expect(lines.contains { $0.contains(" {{") && $0.contains("buckets:[") })
    }

    /// A deletion with a time range inside a histogram series re-cuts its chunks from the
    /// kept samples; every other series' chunks are copied unchanged.
    @Test func rewriteDeletesPartOfAHistogramSeries() throws {
        let dir = try blockDir()
        let src = try BlockReader(dir: dir)
        let mid = (src.meta.minTime + src.meta.maxTime) / 2
        let out = TestEnv.tempDir("nh-rewrite-cut")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let sel = [try Matcher(.equal, "__name__", "nh_request_duration_seconds"), try Matcher(.equal, "handler", "b")]
        let r = try BlockRewriter.rewrite(blockDir: dir, outParentDir: out,
                                          deletions: [DeletionRequest(matchers: sel, intervals: [TimeInterval(mid, .max)])])
        #expect(r.seriesChanged == 1 && r.seriesDeleted == 0)
        let newDir = out + "/" + r.meta.ulid.description
        var v = BlockVerifier(dir: newDir)
        #expect(v.run().isEmpty)
        let dst = try BlockReader(dir: newDir)
        let before = try SampleDump.text(src, matchers: sel).split(separator: "\n")
        let after = try SampleDump.text(dst, matchers: sel).split(separator: "\n")
        let kept = before.filter { Int64($0.split(separator: " ").last!)! < mid }
        #expect(!after.isEmpty && after.count == kept.count)
        // Same samples; the hint shown for a chunk's first sample may differ after re-cutting.
        func strip(_ l: Substring) -> String { String(l).replacingOccurrences(of: " counter_reset_hint:not_reset", with: "") }
        #expect(after.map(strip) == kept.map(strip))
        let others = try SampleDump.text(src).split(separator: "\n").filter { !$0.contains(#"handler="b""#) || !$0.hasPrefix(#"{__name__="nh_request_duration_seconds""#) }
        let othersAfter = try SampleDump.text(dst).split(separator: "\n").filter { !$0.contains(#"handler="b""#) || !$0.hasPrefix(#"{__name__="nh_request_duration_seconds""#) }
        #expect(others == othersAfter)
    }
}
