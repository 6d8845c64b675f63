import Foundation
import GRPCCore
import StrataCore
import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// The Store API end to end: a LocalBlockStore served over real gRPC on 127.0.0.1, queried
/// with the gRPC client, answers compared with promtool's dump of the same blocks.
@Suite struct StoreAPITests {
    /// Runs `body` with a gRPC client connected to `store` served on a free port.
    func withServer<T: Sendable>(_ store: any StoreClient, _ body: @Sendable (GRPCStoreClient) async throws -> T) async throws -> T {
        let server = GRPCStoreServer(store: store, host: "127.0.0.1", port: 0)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let port = try await server.boundPort()
            let client = try GRPCStoreClient(target: "127.0.0.1:\(port)", timeout: .seconds(30))
            defer {
                client.close()
                server.shutdown()
            }
            return try await body(client)
        }
    }

    /// Decodes a series stream into promtool-dump lines, clipped to [mint, maxt].
    static func dumpLines(_ series: [Thanos_Series], mint: Int64, maxt: Int64) throws -> [String] {
        var out: [String] = []
        for s in series {
            let labels = Labels(proto: s.labels)
            var ts: [Int64] = [], vs: [Double] = []
            for c in s.chunks {
                try c.raw.data.withUnsafeBytes { try decodeXOR($0, into: &ts, &vs) }
            }
            for (t, v) in zip(ts, vs) where t >= mint && t <= maxt { out.append("\(labels) \(GoFloat.g(v)) \(t)") }
        }
        return out
    }

    static func collect(_ client: GRPCStoreClient, _ req: Thanos_SeriesRequest) async throws -> [Thanos_Series] {
        let box = SeriesBox()
        try await client.series(req) { r in if case .series(let s)? = r.result { box.append(s) } }
        return box.all
    }

    static func request(_ selector: String, _ mint: Int64 = .min, _ maxt: Int64 = .max) throws -> Thanos_SeriesRequest {
        var r = Thanos_SeriesRequest()
        r.minTime = mint
        r.maxTime = maxt
        r.matchers = try SeriesSelector.parse(selector).map(\.proto)
        return r
    }

    /// A request no parser would build: a matcher whose regex does not compile.
    static func invalidRegexRequest() -> Thanos_SeriesRequest {
        var r = Thanos_SeriesRequest()
        var m = Thanos_LabelMatcher()
        m.type = .re
        m.name = "job"
        m.value = "(unclosed"
        r.matchers = [m]
        r.maxTime = .max
        return r
    }

    @Test func seriesOverGRPCMatchPromtoolDump() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let dirs = try TestEnv.promBlocks()
        let store = LocalBlockStore(name: "testdata", blocks: try dirs.map { try BlockReader(dir: $0) })
        let all = try dirs.flatMap { try TestEnv.promtoolDump(promtool, block: $0).split(separator: "\n").map(String.init) }
        let selectors = [#"{job="api"}"#, #"{__name__=~"rpc_duration_seconds_.*",le!="+Inf"}"#,
                         #"weird_gauge{kind!~"p.*"}"#, #"{__name__=~".+"}"#, #"{job=~"a.*|db",instance!="host-1:9100"}"#]
        try await withServer(store) { client in
            for sel in selectors {
                let ms = try SeriesSelector.parse(sel)
                let got = try Self.dumpLines(try await Self.collect(client, try Self.request(sel)), mint: .min, maxt: .max)
                // promtool dumps block by block; the store merges a series across blocks.
                var want = all.filter { line in (try? parseDumpLabels(line).matches(ms)) == true }
                want.sort { a, b in
                    let (la, lb) = (try! parseDumpLabels(a), try! parseDumpLabels(b))
                    let c = Labels.compare(la, lb)
                    return c != 0 ? c < 0 : dumpTime(a) < dumpTime(b)
                }
                #expect(firstDifference(got, want) == nil, "selector \(sel)")
                #expect(!got.isEmpty)
            }
            // Batched responses (Thanos's response_batch_size) carry the same series.
            var batched = try Self.request(#"{__name__=~".+"}"#)
            batched.responseBatchSize = 7
            let viaBatches = try await Self.collect(client, batched)
            #expect(viaBatches.count > 7)
            #expect(viaBatches == (try await Self.collect(client, try Self.request(#"{__name__=~".+"}"#))))
            // Time trimming: only chunks overlapping the range, samples clipped by the client.
            let mint: Int64 = 1_700_006_400_000, maxt: Int64 = 1_700_009_000_000
            let series = try await Self.collect(client, try Self.request(#"{job="db"}"#, mint, maxt))
            for s in series {
                for c in s.chunks { #expect(c.maxTime >= mint && c.minTime <= maxt) }
            }
            let got = try Self.dumpLines(series, mint: mint, maxt: maxt)
            let want = all.filter { $0.contains(#"job="db""#) && dumpTime($0) >= mint && dumpTime($0) <= maxt }
            #expect(got.count == want.count && !got.isEmpty)
            // skip_chunks: labels only.
            var req = try Self.request(#"{job="db"}"#)
            req.skipChunks = true
            let labelsOnly = try await Self.collect(client, req)
            #expect(labelsOnly.count == 3 && labelsOnly.allSatisfy { $0.chunks.isEmpty })
        }
    }

    @Test func externalLabelsInfoAndLabelAPIs() async throws {
        let parent = TestEnv.tempDir("ext")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        var readers: [BlockReader] = []
        for (i, replica) in ["a", "b"].enumerated() {
            let w = try BlockWriter(parentDir: parent, minTime: Int64(i) * 7_200_000, maxTime: Int64(i + 1) * 7_200_000)
            for k in 0..<3 {
                let ts = (0..<10).map { Int64(i) * 7_200_000 + Int64($0) * 60_000 }
                try w.add(Labels(["__name__": "up", "job": "j\(k)"]), timestamps: ts, values: ts.map { _ in 1 })
            }
            let m = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1", "replica": replica], source: "test") }
            readers.append(try BlockReader(dir: parent + "/" + m.ulid.description))
        }
        let store = LocalBlockStore(name: "ext", blocks: readers)
        try await withServer(store) { client in
            let info = try await client.info()
            #expect(info.componentType == "store")
            #expect(Set(info.labelSets.map { Labels(proto: $0.labels) }) == [Labels(["cluster": "c1", "replica": "a"]), Labels(["cluster": "c1", "replica": "b"])])
            #expect(info.store.minTime == 0 && info.store.maxTime == 14_400_000 - 1)
            let all = try await Self.collect(client, try Self.request(#"up{job="j1"}"#))
            #expect(all.map { Labels(proto: $0.labels)["replica"] } == ["a", "b"])
            #expect(all.allSatisfy { Labels(proto: $0.labels)["cluster"] == "c1" })
            let onlyB = try await Self.collect(client, try Self.request(#"up{replica="b"}"#))
            #expect(onlyB.count == 3)
            let none = try await Self.collect(client, try Self.request(#"up{cluster="other"}"#))
            #expect(none.isEmpty)
            var ln = Thanos_LabelNamesRequest()
            ln.start = 0
            ln.end = .max
            #expect(try await client.labelNames(ln).names == ["__name__", "cluster", "job", "replica"])
            var lv = Thanos_LabelValuesRequest()
            lv.label = "replica"
            lv.start = 0
            lv.end = 7_199_999
            #expect(try await client.labelValues(lv).values == ["a"])
            lv.label = "job"
            lv.matchers = try SeriesSelector.parse(#"{job=~"j[01]"}"#).map(\.proto)
            #expect(try await client.labelValues(lv).values == ["j0", "j1"])
        }
    }

    @Test func invalidMatcherIsInvalidArgument() async throws {
        let store = LocalBlockStore(name: "empty", blocks: [])
        try await withServer(store) { client in
            do {
                _ = try await Self.collect(client, Self.invalidRegexRequest())
                Issue.record("expected an error")
            } catch let e as RPCError {
                #expect(e.code == .invalidArgument)
            }
        }
    }

    @Test func resolutionPlannerPrefersCoarseAndFillsGaps() {
        func meta(_ a: Int64, _ b: Int64, _ res: Int64) -> BlockMeta {
            var m = BlockMeta(ulid: ULID(), minTime: a, maxTime: b)
            m.thanos = ThanosMeta(resolution: res)
            return m
        }
        let raw1 = meta(0, 100, 0), raw2 = meta(100, 200, 0), raw3 = meta(200, 300, 0)
        let down = meta(0, 200, 300_000)
        let chosen = ResolutionPlanner.choose([raw1, raw2, raw3, down], minTime: 0, maxTime: 299, maxResolution: 300_000)
        #expect(chosen.map(\.ulid) == [down.ulid, raw3.ulid])
        let rawOnly = ResolutionPlanner.choose([raw1, raw2, raw3, down], minTime: 0, maxTime: 299, maxResolution: 0)
        #expect(rawOnly.map(\.ulid) == [raw1.ulid, raw2.ulid, raw3.ulid])
    }
}

/// Thread-safe accumulator for streamed series.
final class SeriesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Thanos_Series] = []
    func append(_ s: Thanos_Series) { lock.lock(); items.append(s); lock.unlock() }
    var all: [Thanos_Series] { lock.lock(); defer { lock.unlock() }; return items }
}

func dumpTime(_ line: String) -> Int64 { Int64(line.split(separator: " ").last!)! }
