import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataRemoteWrite
import StrataTestSupport
import StrataTSDB
import Testing

/// strata-receive's remote-write endpoint, as a client sees it: every refusal with the status
/// that tells Prometheus whether to re-send, nothing valid lost alongside a refused part, the
/// tenant header isolating tenants down to the Store API, and 2.0 answered with its headers.
@Suite(.serialized) struct ReceiveHTTPTests {
    struct Answer {
        let status: Int
        let body: String
        let headers: [String: String]
    }

    static func post(_ url: String, _ body: [UInt8], contentType: String? = RemoteWriteVersion.v1.contentType,
                     encoding: String? = "snappy", headers: [String: String] = [:]) async throws -> Answer {
        var r = URLRequest(url: URL(string: url)!)
        r.httpMethod = "POST"
        r.httpBody = Data(body)
        if let contentType { r.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let encoding { r.setValue(encoding, forHTTPHeaderField: "Content-Encoding") }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        let (d, resp) = try await URLSession.shared.data(for: r)
        let h = resp as! HTTPURLResponse
        var hs: [String: String] = [:]
        for (k, v) in h.allHeaderFields { hs["\(k)".lowercased()] = "\(v)" }
        return Answer(status: h.statusCode, body: String(decoding: d, as: UTF8.self), headers: hs)
    }

    static func v1(_ b: WriteBatch) -> [UInt8] { RemoteWriteProtocol.compress(RemoteWriteV1.encode(b)) }

    static func series(_ name: String, _ n: Int, t: Int64) -> WriteBatch {
        WriteBatch(series: (0..<n).map { WriteSeries(labels: Labels(["__name__": name, "i": String($0)]), samples: [WriteSample(t, Double($0))]) })
    }

    @Test(.timeLimit(.minutes(3))) func refusalsAndTenants() async throws {
        let limits = TestEnv.tempDir("receive-limits") + "/limits.yaml"
        try """
            write:
              default:
                request: {series_limit: 100}
              tenants:
                small: {head_series_limit: 3}
            """.write(toFile: limits, atomically: true, encoding: .utf8)
        let r = try ReceiverProcess(name: "http", extra: ["--label", "receive_replica=\"0\"", "--receive.limits-config-file", limits,
                                                          "--tsdb.max-exemplars", "1000"])
        defer { r.kill9() }
        try await r.start()
        let url = r.writeURL
        let now = currentTimeMillis()

        var a = try await Self.post(url, Self.v1(Self.series("m", 10, t: now)))
        #expect(a.status == 204, "\(a.body)")
        // Wire errors: 415 for what is not remote write, 400 for corrupt snappy or protobuf.
        a = try await Self.post(url, Self.v1(Self.series("m", 1, t: now)), contentType: "application/json")
        #expect(a.status == 415, "\(a.body)")
        a = try await Self.post(url, Self.v1(Self.series("m", 1, t: now)), encoding: "gzip")
        #expect(a.status == 415, "\(a.body)")
        a = try await Self.post(url, [0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])
        #expect(a.status == 400 || a.status == 413, "\(a.body)")
        a = try await Self.post(url, RemoteWriteProtocol.compress([0x0a, 0x05, 0x0a]))
        #expect(a.status == 400, "\(a.body)")
        // Out of order: the older samples are refused with Prometheus's text (400: not
        // re-sent); the new series in the same request is written.
        var mixed = Self.series("m", 10, t: now - 60_000)
        mixed.series.append(WriteSeries(labels: Labels(["__name__": "fresh"]), samples: [WriteSample(now, 1)]))
        a = try await Self.post(url, Self.v1(mixed))
        #expect(a.status == 400 && a.body.contains("out of order sample (10 samples)"), "\(a.status) \(a.body)")
        // An invalid series (no metric name) is named; the valid one beside it is written.
        let invalid = WriteBatch(series: [WriteSeries(labels: Labels(["job": "x"]), samples: [WriteSample(now, 1)]),
                                          WriteSeries(labels: Labels(["__name__": "valid"]), samples: [WriteSample(now, 1)])])
        a = try await Self.post(url, Self.v1(invalid))
        #expect(a.status == 400, "\(a.body)")
        // Limits: 413 for a request over series_limit, 429 once a tenant is at its head limit.
        a = try await Self.post(url, Self.v1(Self.series("big", 101, t: now)))
        #expect(a.status == 413 && a.body.contains("too many timeseries"), "\(a.status) \(a.body)")
        a = try await Self.post(url, Self.v1(Self.series("s", 3, t: now)), headers: ["THANOS-TENANT": "small"])
        #expect(a.status == 204, "\(a.body)")
        a = try await Self.post(url, Self.v1(Self.series("s", 3, t: now + 15_000)), headers: ["THANOS-TENANT": "small"])
        #expect(a.status == 429, "\(a.body)")
        a = try await Self.post(url, Self.v1(Self.series("m", 1, t: now)), headers: ["THANOS-TENANT": "../etc"])
        #expect(a.status == 400, "\(a.body)")
        // 2.0: symbol table, and the written counts in the answer; its exemplars are kept.
        var v2Batch = Self.series("v2", 7, t: now)
        v2Batch.series[0].exemplars = [WriteExemplar(labels: Labels(["trace_id": "abc"]), timestamp: now, value: 0.5)]
        let v2 = RemoteWriteProtocol.compress(RemoteWriteV2.encode(v2Batch))
        a = try await Self.post(url, v2, contentType: RemoteWriteVersion.v2.contentType, headers: ["THANOS-TENANT": "team-b"])
        #expect(a.status == 204 && a.headers["x-prometheus-remote-write-samples-written"] == "7", "\(a.status) \(a.headers)")

        #expect(r.metric("strata_receive_samples_appended_total", matching: "tenant=\"default-tenant\"") == 12)
        #expect(r.metric("strata_receive_samples_rejected_total", matching: "reason=\"out_of_order\"") == 10)
        #expect(r.metric("strata_receive_requests_refused_total", matching: "reason=\"series_limit\"") == 1)
        #expect(r.metric("strata_receive_requests_total", matching: "code=\"415\"") == 2)

        // Tenants on the Store API: each its own label set; a selector on the tenant label
        // reads that tenant only.
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let queryPort = try freePort()
        _ = try stack.start("strata-query", ["--endpoint", r.grpc, "--store.sd-interval", "1s",
                                             "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        let q = "http://127.0.0.1:\(queryPort)/api/v1/query?query="
        var counts: [String] = []
        let answered = await waitForAsync(30) {
            let d = try? await apiData(q + urlEncode("count by (tenant_id) ({__name__=~\"m|s|v2|fresh|valid\"})") + "&time=\((now + 15_000) / 1000)")
            counts = (d?["result"]?.arrayValue ?? []).map { "\($0["metric"]?["tenant_id"]?.stringValue ?? "?")=\($0["value"]?.arrayValue?.last?.stringValue ?? "?")" }.sorted()
            return counts.count == 3
        }
        #expect(answered && counts == ["default-tenant=12", "small=3", "team-b=7"], "\(counts)\n\(stack.logs())")
        let b = try await apiData(q + urlEncode("count({tenant_id=\"team-b\"})") + "&time=\(now / 1000 + 1)")
        #expect(b["result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue == "7")
        // Exemplars through the querier's /api/v1/query_exemplars, with the tenant's labels.
        let ex = try await apiData("http://127.0.0.1:\(queryPort)/api/v1/query_exemplars?query=" + urlEncode("v2{tenant_id=\"team-b\"}")
                                   + "&start=\(now / 1000 - 60)&end=\(now / 1000 + 60)")
        let first = ex.arrayValue?.first
        #expect(ex.arrayValue?.count == 1 && first?["seriesLabels"]?["tenant_id"]?.stringValue == "team-b"
                && first?["seriesLabels"]?["i"]?.stringValue == "0"
                && first?["exemplars"]?.arrayValue?.first?["labels"]?["trace_id"]?.stringValue == "abc"
                && first?["exemplars"]?.arrayValue?.first?["value"]?.stringValue == "0.5", "\(ex)")
    }

    /// Under a surge the receiver sheds load with 503 (Prometheus re-sends) instead of
    /// taking every body into memory: with a budget of about one request, concurrent writes
    /// are refused, and re-sending what was refused loses nothing.
    @Test(.timeLimit(.minutes(3))) func overloadIsAnswered503AndNothingIsLost() async throws {
        let r = try ReceiverProcess(name: "surge", extra: ["--label", "receive_replica=\"0\"", "--receive.max-inflight-bytes", "64KiB"])
        defer { r.kill9() }
        try await r.start()
        let now = currentTimeMillis()
        let bodies = (0..<16).map { k in Self.v1(WriteBatch(series: (0..<2000).map {
            WriteSeries(labels: Labels(["__name__": "surge", "k": String(k), "i": String($0)]), samples: [WriteSample(now, 1)])
        })) }
        // Each request reserves its decompressed size: more than the whole budget, so it
        // passes only when nothing else is in flight.
        #expect(Snappy.uncompressedLength(bodies[0])! > 64 * 1024)
        let statuses = try await withThrowingTaskGroup(of: (Int, Answer).self) { g in
            for (i, b) in bodies.enumerated() { g.addTask { (i, try await Self.post(r.writeURL, b)) } }
            var out: [Int: Answer] = [:]
            for try await (i, a) in g { out[i] = a }
            return out
        }
        let refused = statuses.filter { $0.value.status == 503 }
        #expect(!refused.isEmpty && refused.allSatisfy { $0.value.body.contains("overloaded") }, "\(statuses.mapValues(\.status))")
        #expect(statuses.values.allSatisfy { $0.status == 204 || $0.status == 503 })
        for i in refused.keys.sorted() {
            let a = try await Self.post(r.writeURL, bodies[i])
            #expect(a.status == 204, "\(a.body)")
        }
        #expect(r.metric("strata_receive_samples_appended_total") == 16 * 2000)
        #expect(r.metric("strata_receive_requests_refused_total", matching: "reason=\"inflight_bytes\"") == Double(refused.count))
    }
}
