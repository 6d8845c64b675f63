import Foundation
import StrataCore
import StrataTestSupport
import Testing

/// Native histograms end to end, every component a real process: a Prometheus 2.42 with
/// `--enable-feature=native-histograms` scrapes a target serving native histograms (counter
/// resets, negative observations, a wide zero bucket, a schema change, an empty histogram),
/// strata-sidecar serves its data, strata-query (3.14 semantics) answers. Raw histograms and
/// `histogram_count`/`histogram_sum` equal Prometheus's own answers at the same instants, bucket
/// by bucket as the API prints them.
@Suite(.serialized) struct NativeHistogramStackTests {
    /// The `result` of an instant query, series keyed by labels (`cluster` dropped), each
    /// value re-serialised so floats and histograms compare as text.
    static func result(_ url: String, _ query: String, time: Double) async throws -> [Labels: String] {
        let doc = try JSONValue(parsing: try await PromQLDifferential.get(
            "\(url)/api/v1/query?query=\(PromQLDifferential.encode(query))&time=\(time)"))
        #expect(doc["status"]?.stringValue == "success", "\(query): \(doc.serialized())")
        var out: [Labels: String] = [:]
        for s in doc["data"]?["result"]?.arrayValue ?? [] {
            let labels = Labels((s["metric"]?.objectValue ?? []).map { Label($0.key, $0.value.stringValue ?? "") }).removing(["cluster"])
            out[labels] = (s["histogram"] ?? s["value"])?.serialized() ?? ""
        }
        return out
    }

    @Test func querierAnswersNativeHistogramsLikePrometheus() async throws {
        guard let target = try NativeHistogramTarget.start() else { return }
        defer { target.stop() }
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1"],
                                                    scrapeTargets: ["nh": target.address], features: ["native-histograms"])
        else { return }
        defer { prom.stop() }
        var processes: [(Process, String)] = []
        defer {
            for (p, _) in processes where p.isRunning { p.terminate() }
            for (p, _) in processes { p.waitUntilExit() }
        }
        let grpc = "127.0.0.1:\(try freePort())", queryHTTP = try freePort()
        processes.append(try startService("strata-sidecar", ["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url,
                                                            "--grpc-address", grpc, "--http-address", "127.0.0.1:\(try freePort())"]))
        processes.append(try startService("strata-query", ["--endpoint", grpc, "--http-address", "127.0.0.1:\(queryHTTP)",
                                                          "--grpc-address", "127.0.0.1:\(try freePort())", "--store.sd-interval", "1s"]))
        let query = "http://127.0.0.1:\(queryHTTP)"
        func logs() -> String { processes.map { (try? String(contentsOfFile: $0.1, encoding: .utf8)) ?? "" }.joined(separator: "\n") }
        // Several scrapes (the first comes ~5 s after start), and the sidecar healthy.
        let ready = await waitForAsync(60) {
            let stores = (try? await PromQLDifferential.get(query + "/api/v1/stores")) ?? ""
            let n = (try? await Self.result(prom.url, "count_over_time(nh_request_duration_seconds[10m])", time: Date().timeIntervalSince1970))?
                .values.compactMap { Double($0.split(separator: "\"").dropFirst().first.map(String.init) ?? "") }.min() ?? 0
            return stores.contains("\"healthy\":true") && n >= 6
        }
        #expect(ready, "\(logs())")
        let now = (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000
        for t in [now - 2, now - 4.5] {
            for q in [#"{__name__=~"nh.*"}"#, "histogram_count(nh_request_duration_seconds)", "histogram_sum(nh_temperature_change)"] {
                let theirs = try await Self.result(prom.url, q, time: t)
                let ours = try await Self.result(query, q, time: t)
                #expect(!theirs.isEmpty, "\(q) @\(t): \(theirs)")
                if ours != theirs {
                    let stores = (try? await PromQLDifferential.get(query + "/api/v1/stores")) ?? ""
                    let raw = (try? await PromQLDifferential.get(query + "/api/v1/query?query=\(PromQLDifferential.encode(q))&time=\(t)")) ?? ""
                    Issue.record("\(q) @\(t):\nours   \(ours)\ntheirs \(theirs)\nstores \(stores)\nraw \(raw.prefix(500))\n\(logs())")
                }
            }
        }
        // The answer carries the histogram (`histogram` key), not a float.
        let raw = try await PromQLDifferential.get(query + "/api/v1/query?query=nh_request_duration_seconds&time=\(now)")
        #expect(raw.contains("\"histogram\":[") && raw.contains("\"buckets\":[["), "\(raw.prefix(300))")
    }

    /// The block a real Prometheus 2.42 wrote with native histograms, in a FILESYSTEM bucket
    /// served by the strata-store process, queried through the strata-query process: every
    /// series, floats and histograms, as Prometheus answered over the same data. With
    /// `startTimestamps`, the block's chunks are first converted to the XOR2 and
    /// start-timestamp histogram encodings a Prometheus 3.11+ writes with ST storage on.
    @Test(arguments: [false, true]) func storeGatewayOverABucketAnswersLikePrometheus(startTimestamps: Bool) async throws {
        let bucket = TestEnv.tempDir("nh-bucket")
        if startTimestamps {
            _ = try StartTimestampBlocks.convert(blockDir: NativeHistogramData.blockDir, parentDir: bucket)
        } else {
            let r = try TestEnv.run("/bin/cp", ["-r", NativeHistogramData.blockDir, bucket + "/" + NativeHistogramData.blockID])
            #expect(r.status == 0, "\(r.stderr)")
        }
        var processes: [(Process, String)] = []
        defer {
            for (p, _) in processes where p.isRunning { p.terminate() }
            for (p, _) in processes { p.waitUntilExit() }
        }
        let grpc = "127.0.0.1:\(try freePort())", queryHTTP = try freePort()
        processes.append(try startService("strata-store", ["--objstore.config", "type: FILESYSTEM\nconfig:\n  directory: \(bucket)",
                                                          "--data-dir", TestEnv.tempDir("nh-store"), "--grpc-address", grpc,
                                                          "--http-address", "127.0.0.1:\(try freePort())"]))
        processes.append(try startService("strata-query", ["--endpoint", grpc, "--http-address", "127.0.0.1:\(queryHTTP)",
                                                          "--grpc-address", "127.0.0.1:\(try freePort())", "--store.sd-interval", "1s"]))
        let query = "http://127.0.0.1:\(queryHTTP)"
        let ready = await waitForAsync(60) {
            ((try? await PromQLDifferential.get(query + "/api/v1/stores")) ?? "").contains("\"healthy\":true")
        }
        #expect(ready, "\(processes.map { (try? String(contentsOfFile: $0.1, encoding: .utf8)) ?? "" })")
        let meta = try JSONValue(parsing: String(contentsOfFile: NativeHistogramData.blockDir + "/meta.json", encoding: .utf8))
        let t = Double((meta["maxTime"]?.int64Value ?? 0) - 1) / 1000
        let body = try await PromQLDifferential.get(query + "/api/v1/query?query=\(PromQLDifferential.encode(#"{__name__=~"nh.*"}[1h]"#))&time=\(t)")
        #expect(try NativeHistogramData.differences(fromAnswer: JSONValue(parsing: body)) == [])
    }
}
