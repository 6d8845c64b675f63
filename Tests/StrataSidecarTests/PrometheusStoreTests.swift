import Foundation
import StrataCore
import StrataSidecar
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// The sidecar's Store API against a real Prometheus 2.42 serving the testdata blocks:
/// what comes back through remote read equals promtool's dump, plus external labels.
@Suite(.serialized) struct PrometheusStoreTests {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var series: [Thanos_Series] = []
        func add(_ r: Thanos_SeriesResponse) {
            lock.lock()
            if case .series(let s)? = r.result { series.append(s) }
            lock.unlock()
        }
    }

    @Test func remoteReadSeriesMatchPromtoolAndCarryExternalLabels() async throws {
        guard let promtool = try TestEnv.promtool(),
              let prom = try PrometheusServer.start(blocks: try TestEnv.promBlocks(), externalLabels: ["cluster": "c1", "replica": "a"])
        else { return }
        defer { prom.stop() }
        let client = try PrometheusClient(url: prom.url)
        try await client.waitUntilReady(deadline: .seconds(10))
        let ext = try await client.externalLabels()
        #expect(ext == Labels(["cluster": "c1", "replica": "a"]))
        let flags = try await client.flags()
        #expect(flags["storage.tsdb.min-block-duration"] == flags["storage.tsdb.max-block-duration"])
        let store = PrometheusStore(prometheus: client, externalLabels: ext, minTime: { 0 })

        var all: [String] = []
        for d in try TestEnv.promBlocks() { all += try TestEnv.promtoolDump(promtool, block: d).split(separator: "\n").map(String.init) }
        for sel in [#"{job="db"}"#, #"rpc_duration_seconds_bucket{le=~"0.5|\\+Inf"}"#, #"weird_gauge{kind!="plain"}"#] {
            var req = Thanos_SeriesRequest()
            req.minTime = 0
            req.maxTime = Int64(4_000_000_000_000)
            req.matchers = try SeriesSelector.parse(sel).map(\.proto)
            let box = Box()
            try await store.series(req) { box.add($0) }
            #expect(!box.series.isEmpty, "\(sel)")
            var got: [String] = []
            for s in box.series {
                let l = Labels(proto: s.labels)
                #expect(l["cluster"] == "c1" && l["replica"] == "a")
                var ts: [Int64] = [], vs: [Double] = []
                for c in s.chunks { try c.raw.data.withUnsafeBytes { try decodeXOR($0, into: &ts, &vs) } }
                let plain = l.removing(["cluster", "replica"])
                for (t, v) in zip(ts, vs) { got.append("\(plain) \(GoFloat.g(v)) \(t)") }
            }
            let ms = try SeriesSelector.parse(sel)
            var want = all.filter { (try? parseDumpLabels($0).matches(ms)) == true }
            want.sort { a, b in
                let c = Labels.compare(try! parseDumpLabels(a), try! parseDumpLabels(b))
                return c != 0 ? c < 0 : Int64(a.split(separator: " ").last!)! < Int64(b.split(separator: " ").last!)!
            }
            #expect(firstDifference(got.sorted(), want.sorted()) == nil, "\(sel)")
        }
        // Matchers on external labels are decided locally.
        var none = Thanos_SeriesRequest()
        none.minTime = 0
        none.maxTime = .max
        none.matchers = try SeriesSelector.parse(#"{job="db", replica="b"}"#).map(\.proto)
        let box = Box()
        try await store.series(none) { box.add($0) }
        #expect(box.series.isEmpty)
        // Label APIs through the Prometheus HTTP API, external labels included.
        var ln = Thanos_LabelNamesRequest()
        ln.start = 0
        ln.end = 4_000_000_000_000
        let names = try await store.labelNames(ln).names
        #expect(names.contains("cluster") && names.contains("job") && names.contains("le"))
        var lv = Thanos_LabelValuesRequest()
        lv.label = "job"
        lv.start = 0
        lv.end = 4_000_000_000_000
        #expect(try await store.labelValues(lv).values == ["api", "db"])
        lv.label = "replica"
        #expect(try await store.labelValues(lv).values == ["a"])
        let info = try await store.info()
        #expect(info.componentType == "sidecar" && info.store.maxTime == .max)
        try await client.shutdown()
    }

    /// Series through the sidecar are exactly the raw samples Prometheus's own query API
    /// returns for the same selector (a range-vector instant query), and they include the
    /// head: Prometheus scrapes itself every second and those samples come back too.
    @Test func seriesEqualPrometheusOwnAnswerIncludingTheHead() async throws {
        guard let prom = try PrometheusServer.start(blocks: try TestEnv.promBlocks(), externalLabels: ["cluster": "c1"],
                                                    scrapeSelf: true) else { return }
        defer { prom.stop() }
        let client = try PrometheusClient(url: prom.url)
        try await client.waitUntilReady(deadline: .seconds(10))
        let store = PrometheusStore(prometheus: client, externalLabels: Labels(["cluster": "c1"]), minTime: { 0 })
        func viaSidecar(_ sel: String, _ lo: Int64, _ hi: Int64) async throws -> Set<String> {
            var req = Thanos_SeriesRequest()
            req.minTime = lo
            req.maxTime = hi
            req.matchers = try SeriesSelector.parse(sel).map(\.proto)
            let box = Box()
            try await store.series(req) { box.add($0) }
            var out = Set<String>()
            for s in box.series {
                let l = Labels(proto: s.labels).removing(["cluster"])
                var ts: [Int64] = [], vs: [Double] = []
                for c in s.chunks { try c.raw.data.withUnsafeBytes { try decodeXOR($0, into: &ts, &vs) } }
                for (t, v) in zip(ts, vs) where t >= lo && t <= hi { out.insert("\(l) \(v.bitPattern) \(t)") }
            }
            return out
        }
        func viaPrometheus(_ sel: String, at end: Int64, range: String) async throws -> Set<String> {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let q = "\(sel)[\(range)]".addingPercentEncoding(withAllowedCharacters: allowed)!
            let body = try await PromQLDifferential.get("\(prom.url)/api/v1/query?query=\(q)&time=\(Double(end) / 1000)")
            let doc = try JSONValue(parsing: body)
            var out = Set<String>()
            for s in doc["data"]?["result"]?.arrayValue ?? [] {
                let l = Labels((s["metric"]?.objectValue ?? []).map { Label($0.key, $0.value.stringValue ?? "") })
                for p in s["values"]?.arrayValue ?? [] {
                    guard let pair = p.arrayValue, pair.count == 2, let vs = pair[1].stringValue else { continue }
                    let t: Int64
                    switch pair[0] {
                    case .int(let i): t = i * 1000
                    case .double(let d): t = Int64((d * 1000).rounded())
                    default: continue
                    }
                    let v = vs == "NaN" ? Double.nan : (vs == "+Inf" ? Double.infinity : (vs == "-Inf" ? -Double.infinity : Double(vs)!))
                    out.insert("\(l) \(v.isNaN ? Double.nan.bitPattern : v.bitPattern) \(t)")
                }
            }
            return out
        }
        // Blocks: 1699999200 .. 1700017200 (testdata); compare a window inside them. Prometheus
        // 2.42 range selectors include both ends.
        let end: Int64 = 1_700_010_000_000
        for sel in ["http_requests_total", #"rpc_duration_seconds_bucket{le="+Inf"}"#] {
            let theirs = try await viaPrometheus(sel, at: end, range: "2h")
            #expect(!theirs.isEmpty)
            let ours = try await viaSidecar(sel, end - 7_200_000, end)
            #expect(ours == theirs, "\(sel): \(ours.count) vs \(theirs.count), e.g. \(ours.subtracting(theirs).sorted().prefix(2)) / \(theirs.subtracting(ours).sorted().prefix(2))")
        }
        // The head: wait for a few self-scrapes, then both sides see the same `up` samples.
        var seen = false
        for _ in 0..<50 where !seen {
            try await Task.sleep(for: .milliseconds(200))
            let now = currentTimeMillis()
            seen = (try await viaSidecar(#"up{job="self"}"#, now - 60_000, now)).count >= 2
        }
        #expect(seen, "head samples of the self-scrape come through the sidecar")
        let now = currentTimeMillis() / 1000 * 1000
        let theirs = try await viaPrometheus(#"up{job="self"}"#, at: now, range: "1m")
        #expect(try await viaSidecar(#"up{job="self"}"#, now - 60_000, now) == theirs)
        try await client.shutdown()
    }

    @Test func snappyRoundTripAndLimits() throws {
        let data = (0..<100_000).map { UInt8($0 % 251) }
        let c = Snappy.compress(data)
        #expect(c.count < data.count)
        #expect(try Snappy.decompress(c) == data)
        #expect(throws: Snappy.Error.self) { try Snappy.decompress(c, limit: 1000) }
        #expect(throws: Snappy.Error.self) { try Snappy.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2]) }
    }
}
