import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport

/// Sample-level views of blocks for the histogram compaction tests.
enum HistogramSamples {
    /// Every sample of every series of a block, one comparable line each, by series.
    /// Histograms are compared as float histograms on schema, zero threshold and count,
    /// count, sum (bit pattern, so stale markers compare) and the non-empty buckets by
    /// index: re-cutting a merged stream may recode a chunk to wider spans, which gives
    /// earlier samples explicit empty buckets without changing what they mean (as a
    /// Prometheus compaction does). The kind (float, histogram, float histogram) and gauge
    /// flag are part of the line; other counter-reset hints are not (they describe chunks).
    static func lines(_ dir: String, except skipped: Labels? = nil) throws -> [Labels: [String]] {
        let block = try BlockReader(dir: dir)
        var out: [Labels: [String]] = [:]
        try block.forEachSeries(matching: []) { s in
            if s.labels == skipped { return }
            var list: [String] = []
            try block.forEachSample(of: s) { t, v in list.append("\(t) " + line(v)) }
            out[s.labels] = list
        }
        return out
    }

    static func line(_ v: SampleValue) -> String {
        switch v {
        case .float(let x): return "f \(String(x.bitPattern, radix: 16))"
        case .histogram(let h): return "h " + text(h.toFloat())
        case .floatHistogram(let h): return "fh " + text(h)
        }
    }

    static func text(_ h: FloatHistogram) -> String {
        func buckets(_ spans: [HistogramSpan], _ counts: [Double]) -> String {
            var idx: Int32 = 0, k = 0, parts: [String] = []
            for (i, s) in spans.enumerated() {
                idx = i == 0 ? s.offset : idx + s.offset
                for _ in 0..<s.length where k < counts.count {
                    if counts[k] != 0 { parts.append("\(idx):\(counts[k])") }
                    k += 1
                    idx += 1
                }
            }
            return parts.joined(separator: ",")
        }
        return "schema=\(h.schema) zt=\(h.zeroThreshold) zc=\(h.zeroCount) count=\(h.count) sum=\(String(h.sum.bitPattern, radix: 16))"
            + " gauge=\(h.counterResetHint == .gauge) +[\(buckets(h.positiveSpans, h.positiveBuckets))] -[\(buckets(h.negativeSpans, h.negativeBuckets))]"
            + " cv=\(h.customValues)"
    }

    /// A block with the real block's range and series, keeping the samples whose index in
    /// their series `keep` accepts (hints cleared, so the chunker finds resets itself).
    static func subset(of src: String, into parent: String, labels: [String: String], keep: (Int) -> Bool) throws -> String {
        let block = try BlockReader(dir: src)
        let w = try BlockWriter(parentDir: parent, minTime: block.meta.minTime, maxTime: block.meta.maxTime)
        try block.forEachSeries(matching: []) { s in
            var chunker = MixedSampleChunker()
            var i = 0
            try block.forEachSample(of: s) { t, v in
                defer { i += 1 }
                guard keep(i) else { return }
                try chunker.append(t, unhinted(v))
            }
            try w.add(s.labels, chunks: chunker.finish())
        }
        let m = try w.commit { $0.thanos = ThanosMeta(labels: labels, source: "sidecar") }
        return parent + "/" + m.ulid.description
    }

    static func unhinted(_ v: SampleValue) -> SampleValue {
        switch v {
        case .float: return v
        case .histogram(var h): if h.counterResetHint != .gauge { h.counterResetHint = .unknown }; return .histogram(h)
        case .floatHistogram(var h): if h.counterResetHint != .gauge { h.counterResetHint = .unknown }; return .floatHistogram(h)
        }
    }

    /// The body of Prometheus's answer to an instant query.
    static func instantQuery(_ server: PrometheusServer, _ query: String, at t: Int64) -> String {
        let port = Int(server.url.split(separator: ":").last!)!
        let q = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let time = String(format: "%.3f", Double(t) / 1000)
        let whole = httpGet(port: port, path: "/api/v1/query?query=\(q)&time=\(time)", timeoutSeconds: 10) ?? ""
        guard let r = whole.range(of: "\r\n\r\n") else { return whole }
        return String(whole[r.upperBound...])
    }

    /// A PromQL selector for exactly these labels.
    static func selector(_ l: Labels) -> String {
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
        return "{" + l.pairs.map { "\($0.name)=\"\(esc($0.value))\"" }.joined(separator: ",") + "}"
    }
}
