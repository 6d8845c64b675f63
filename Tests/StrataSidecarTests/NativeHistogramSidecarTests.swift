import Foundation
import StrataCore
@testable import StrataSidecar
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// The sidecar over a live Prometheus 2.42 with `--enable-feature=native-histograms`
/// scraping a target that serves native histograms: remote read's STREAMED_XOR_CHUNKS hands
/// over Prometheus's histogram chunks, and they go out unchanged as Store API histogram
/// chunks, every sample Prometheus's own API shows for the same series.
@Suite(.serialized) struct NativeHistogramSidecarTests {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var series: [Thanos_Series] = []
        var warnings: [String] = []
        func add(_ r: Thanos_SeriesResponse) {
            lock.lock()
            switch r.result {
            case .series(let s)?: series.append(s)
            case .warning(let w)?: warnings.append(w)
            default: break
            }
            lock.unlock()
        }
    }

    /// Samples per series (floats and histograms) in Prometheus's answer to
    /// `{__name__=~"nh.*"}[1h]` at `time`, with their timestamps.
    static func prometheusSamples(_ url: String, time: Double) async throws -> [Labels: (hist: [Int64], float: [Int64])] {
        let q = PromQLDifferential.encode(#"{__name__=~"nh.*"}[1h]"#)
        let doc = try JSONValue(parsing: try await PromQLDifferential.get("\(url)/api/v1/query?query=\(q)&time=\(time)"))
        func ms(_ v: JSONValue) -> Int64 {
            switch v {
            case .int(let i): i * 1000
            case .double(let d): Int64((d * 1000).rounded())
            default: .min
            }
        }
        var out: [Labels: (hist: [Int64], float: [Int64])] = [:]
        for s in doc["data"]?["result"]?.arrayValue ?? [] {
            let l = Labels((s["metric"]?.objectValue ?? []).map { Label($0.key, $0.value.stringValue ?? "") })
            let hist = (s["histograms"]?.arrayValue ?? []).compactMap { $0.arrayValue?.first.map(ms) }
            let float = (s["values"]?.arrayValue ?? []).compactMap { $0.arrayValue?.first.map(ms) }
            out[l] = (hist, float)
        }
        return out
    }

    @Test func histogramChunksPassThroughRemoteRead() async throws {
        guard let target = try NativeHistogramTarget.start() else { return }
        defer { target.stop() }
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1"],
                                                    scrapeTargets: ["nh": target.address], features: ["native-histograms"])
        else { return }
        defer { prom.stop() }
        let client = try PrometheusClient(url: prom.url)
        try await client.waitUntilReady(deadline: .seconds(10))
        // A few scrapes, so that every histogram series has several samples (the first scrape
        // comes only after Prometheus's 5 s target reload).
        let deadline = ContinuousClock.now + .seconds(40)
        while ContinuousClock.now < deadline {
            let got = try await Self.prometheusSamples(prom.url, time: Date().timeIntervalSince1970)
            if let n = got.first(where: { $0.key["__name__"] == "nh_inflight" })?.value.float.count, n >= 4 { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let store = PrometheusStore(prometheus: client, externalLabels: Labels(["cluster": "c1"]), minTime: { 0 })
        var req = Thanos_SeriesRequest()
        req.minTime = 0
        req.maxTime = 4_000_000_000_000
        req.matchers = try SeriesSelector.parse(#"{job="nh"}"#).map(\.proto)
        let box = Box()
        try await store.series(req) { box.add($0) }
        #expect(box.warnings.isEmpty)
        // Asked after the read, so Prometheus's answer holds at least what the read saw.
        let oracle = try await Self.prometheusSamples(prom.url, time: Date().timeIntervalSince1970 + 1)
        let histogramSeries = oracle.filter { !$0.value.hist.isEmpty }
        #expect(histogramSeries.count == 6, "\(oracle.keys)")
        var seen = 0
        for s in box.series {
            let labels = Labels(proto: s.labels).removing(["cluster"])
            guard let want = oracle[labels] else { continue }  // up, scrape_* series
            seen += 1
            let isHistogram = !want.hist.isEmpty
            #expect(!s.chunks.isEmpty && s.chunks.allSatisfy { $0.hasRaw && $0.raw.type == (isHistogram ? .histogram : .xor) }, "\(labels)")
            // Every chunk's header count, against Prometheus's samples up to the last chunk's end.
            let until = s.chunks.map(\.maxTime).max() ?? .min
            let count = s.chunks.reduce(0) { n, c in n + c.raw.data.withUnsafeBytes { XORBulkDecoder.sampleCount($0) } }
            let expected = (isHistogram ? want.hist : want.float).filter { $0 <= until }.count
            #expect(count == expected && count >= 3, "\(labels): \(count) samples in chunks, Prometheus has \(expected)")
        }
        #expect(seen == oracle.count)
        try await client.shutdown()
    }
}

/// The SAMPLES fallback: every sample of the real Prometheus block, sent as a remote-read
/// SAMPLES answer would carry it (floats, `prompb.Histogram` with deltas), comes back out of
/// the chunks the sidecar encodes, sample for sample.
@Suite struct RemoteReadSamplesTests {
    static func normalized(_ v: SampleValue) -> String {
        switch v {
        case .float(let f): return "f \(f.bitPattern)"
        case .histogram(var h):
            h.counterResetHint = .unknown
            return "h \(h.toFloat().testNotation)"
        case .floatHistogram(var h):
            h.counterResetHint = .unknown
            return "fh \(h.testNotation)"
        }
    }

    static func proto(_ t: Int64, _ v: SampleValue, into ts: inout Prometheus_TimeSeries) {
        func spans(_ s: [HistogramSpan]) -> [Prometheus_BucketSpan] {
            s.map { var p = Prometheus_BucketSpan(); p.offset = $0.offset; p.length = $0.length; return p }
        }
        var p = Prometheus_Histogram()
        p.timestamp = t
        switch v {
        case .float(let f):
            var s = Prometheus_Sample()
            s.timestamp = t
            s.value = f
            ts.samples.append(s)
            return
        case .histogram(let h):
            p.count = .countInt(h.count)
            p.zeroCount = .zeroCountInt(h.zeroCount)
            p.sum = h.sum
            p.schema = h.schema
            p.zeroThreshold = h.zeroThreshold
            p.positiveSpans = spans(h.positiveSpans)
            p.negativeSpans = spans(h.negativeSpans)
            p.positiveDeltas = h.positiveBuckets
            p.negativeDeltas = h.negativeBuckets
        case .floatHistogram(let h):
            p.count = .countFloat(h.count)
            p.zeroCount = .zeroCountFloat(h.zeroCount)
            p.sum = h.sum
            p.schema = h.schema
            p.zeroThreshold = h.zeroThreshold
            p.positiveSpans = spans(h.positiveSpans)
            p.negativeSpans = spans(h.negativeSpans)
            p.positiveCounts = h.positiveBuckets
            p.negativeCounts = h.negativeBuckets
            p.resetHint = h.counterResetHint == .gauge ? .gauge : .unknown
        }
        ts.histograms.append(p)
    }

    @Test func samplesOfTheRealBlockRoundTripThroughChunks() throws {
        let block = try BlockReader(dir: NativeHistogramData.blockDir)
        let dir = TestEnv.tempDir("rr-samples")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try BlockWriter(parentDir: dir, minTime: block.meta.minTime, maxTime: block.meta.maxTime)
        var want: [Labels: [String]] = [:]
        var histogramSamples = 0
        for s in try block.series(matching: [try Matcher(.regexMatch, "__name__", ".+")]) {
            var ts = Prometheus_TimeSeries()
            var lines: [String] = []
            try block.forEachSample(of: s) { t, v in
                Self.proto(t, v, into: &ts)
                lines.append("\(t) " + Self.normalized(v))
            }
            histogramSamples += ts.histograms.count
            want[s.labels] = lines
            try writer.add(s.labels, chunks: try RemoteReadSamples.chunks(ts))
        }
        #expect(histogramSamples > 1000)
        let out = try BlockReader(dir: dir + "/" + (try writer.commit()).ulid.description)
        var compared = 0
        for s in try out.series(matching: [try Matcher(.regexMatch, "__name__", ".+")]) {
            var got: [String] = []
            try out.forEachSample(of: s) { t, v in got.append("\(t) " + Self.normalized(v)) }
            #expect(firstDifference(got, want[s.labels] ?? []) == nil, "\(s.labels)")
            compared += 1
        }
        #expect(compared == want.count)
    }
}
