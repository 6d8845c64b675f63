import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing

/// One view of the whole fleet, every component a real process: two Prometheus 2.42 HA
/// replicas (`replica="a"|"b"`, external labels) scraping each other, a node exporter, an
/// OpenMetrics target with exemplars and their own sidecar, evaluating the same rule file;
/// a strata-sidecar next to each; strata-query deduplicating `replica`. Its `/api/v1/targets`,
/// `/metadata`, `/query_exemplars`, `/rules` and `/alerts` must equal the union of what the two
/// Prometheus servers answer, each replicated target, rule and alert once, in Prometheus's JSON.
@Suite(.serialized) struct FleetViewTests {
    /// (status, body) of a GET.
    static func get(_ url: String) async throws -> (Int, String) {
        let (data, resp) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((resp as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    static func data(_ url: String) async throws -> JSONValue {
        let (_, body) = try await get(url)
        let v = try JSONValue(parsing: body)
        guard v["status"]?.stringValue == "success", let d = v["data"] else { throw MissingComponent(description: "\(url): \(body.prefix(300))") }
        return d
    }

    static func dict(_ j: JSONValue?) -> [String: String] {
        Dictionary((j?.objectValue ?? []).map { ($0.key, $0.value.stringValue ?? "") }, uniquingKeysWith: { a, _ in a })
    }

    static func text(_ d: [String: String]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }

    /// What a replica's label set looks like through the querier: `cluster` added by the
    /// sidecar, `replica` removed by deduplication.
    static func viaQuerier(_ d: [String: String]) -> [String: String] {
        var d = d
        d["cluster"] = "c1"
        return d
    }

    static func keys(_ j: JSONValue?) -> [String] { j?.objectValue?.map(\.key) ?? [] }

    @Test(.timeLimit(.minutes(6))) func querierUnitesReplicasTargetsMetadataExemplarsAndRules() async throws {
        guard let node = try await FleetTargets.nodeExporter() else { return }
        defer { node.stop() }
        guard let exemplarTarget = try await FleetTargets.exemplarTarget() else { return }
        defer { exemplarTarget.stop() }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let rules = try FleetTargets.ruleFile()
        let promPorts = ["a": try freePort(), "b": try freePort()]
        let sidecarHTTP = ["a": try freePort(), "b": try freePort()]
        let sidecarGRPC = ["a": "127.0.0.1:\(try freePort())", "b": "127.0.0.1:\(try freePort())"]
        var proms: [String: PrometheusServer] = [:]
        for (replica, peer) in [("a", "b"), ("b", "a")] {
            guard let p = try PrometheusServer.start(
                blocks: [], externalLabels: ["cluster": "c1", "replica": replica],
                scrapeTargets: ["peer": "127.0.0.1:\(promPorts[peer]!)", "node": "127.0.0.1:\(node.port)",
                                "exemplars": "127.0.0.1:\(exemplarTarget.port)", "sidecar": "127.0.0.1:\(sidecarHTTP[replica]!)"],
                features: ["exemplar-storage"], ruleFiles: [rules], scrapeConfigs: [FleetTargets.droppedJob], port: promPorts[replica]) else { return }
            proms[replica] = p
        }
        stack.servers = Array(proms.values)
        for r in ["a", "b"] {
            _ = try stack.start("strata-sidecar", ["--tsdb.path", proms[r]!.dataDir, "--prometheus.url", proms[r]!.url,
                                                   "--grpc-address", sidecarGRPC[r]!, "--http-address", "127.0.0.1:\(sidecarHTTP[r]!)"])
        }
        let queryPort = try freePort()
        let q = "http://127.0.0.1:\(queryPort)"
        _ = try stack.start("strata-query", ["--endpoint", sidecarGRPC["a"]!, "--endpoint", sidecarGRPC["b"]!,
                                             "--query.replica-label", "replica", "--store.sd-interval", "1s", "--query.timeout", "20s",
                                             "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        let (a, b) = (proms["a"]!.url, proms["b"]!.url)
        let warm = await waitForAsync(90) {
            for url in [a, b] {
                let t = (try? await Self.data(url + "/api/v1/targets?state=active"))?["activeTargets"]?.arrayValue ?? []
                guard t.count == 4, t.allSatisfy({ $0["health"]?.stringValue == "up" }) else { return false }
                let alerts = (try? await Self.data(url + "/api/v1/alerts"))?["alerts"]?.arrayValue ?? []
                guard alerts.contains(where: { $0["state"]?.stringValue == "firing" }) else { return false }
                let ex = (try? await Self.data(url + "/api/v1/query_exemplars?query=demo_latency_seconds_bucket"))?.arrayValue ?? []
                guard ex.count == 1, (ex[0]["exemplars"]?.arrayValue?.count ?? 0) >= 3 else { return false }
            }
            let stores = (try? await Self.get(q + "/api/v1/stores"))?.1 ?? ""
            return stores.components(separatedBy: "\"healthy\":true").count == 3
        }
        #expect(warm, "\(stack.logs())")

        // Targets: the union of both replicas', replicated targets once, each up.
        let promTargets = [try await Self.data(a + "/api/v1/targets"), try await Self.data(b + "/api/v1/targets")]
        let ours = try await Self.data(q + "/api/v1/targets")
        func key(_ t: JSONValue, _ map: ([String: String]) -> [String: String]) -> String {
            "\(t["scrapePool"]?.stringValue ?? "") \(t["scrapeUrl"]?.stringValue ?? "") {\(Self.text(map(Self.dict(t["labels"]))))}"
                + " {\(Self.text(map(Self.dict(t["discoveredLabels"]))))} \(t["scrapeInterval"]?.stringValue ?? "") \(t["scrapeTimeout"]?.stringValue ?? "")"
        }
        let wantActive = Set(promTargets.flatMap { $0["activeTargets"]?.arrayValue ?? [] }.map { key($0, Self.viaQuerier) })
        let gotActive = (ours["activeTargets"]?.arrayValue ?? []).map { key($0, { $0 }) }
        #expect(gotActive.count == 6 && Set(gotActive) == wantActive, "ours \(gotActive)\ntheirs \(wantActive)")
        #expect((ours["activeTargets"]?.arrayValue ?? []).allSatisfy { $0["health"]?.stringValue == "up" && $0["lastError"]?.stringValue == "" })
        // Prometheus's fields, in Prometheus's order.
        #expect(Self.keys(ours["activeTargets"]?.arrayValue?.first) == Self.keys(promTargets[0]["activeTargets"]?.arrayValue?.first))
        #expect(Self.keys(ours) == Self.keys(promTargets[0]))
        let droppedOurs = (ours["droppedTargets"]?.arrayValue ?? []).map { Self.text(Self.dict($0["discoveredLabels"])) }
        let droppedTheirs = (promTargets[0]["droppedTargets"]?.arrayValue ?? []).map { Self.text(Self.viaQuerier(Self.dict($0["discoveredLabels"]))) }
        #expect(droppedOurs == droppedTheirs && droppedOurs.count == 1, "\(droppedOurs) vs \(droppedTheirs)")
        for (state, active, dropped) in [("active", 6, 0), ("dropped", 0, 1), ("bogus", 0, 0)] {
            let d = try await Self.data(q + "/api/v1/targets?state=\(state)")
            let p = try await Self.data(a + "/api/v1/targets?state=\(state)")
            #expect(d["activeTargets"]?.arrayValue?.count == active && d["droppedTargets"]?.arrayValue?.count == dropped, "state=\(state)")
            #expect((p["activeTargets"]?.arrayValue?.isEmpty ?? true) == (active == 0), "Prometheus state=\(state)")
        }

        // Metadata: the union of both replicas' maps (retried: a target may add a family between reads).
        func metaSets(_ d: JSONValue) -> [String: Set<String>] {
            Dictionary((d.objectValue ?? []).map { m in
                (m.key, Set((m.value.arrayValue ?? []).map { "\($0["type"]?.stringValue ?? "")|\($0["help"]?.stringValue ?? "")|\($0["unit"]?.stringValue ?? "")" }))
            }, uniquingKeysWith: { x, _ in x })
        }
        var metaDiff = ""
        let metaEqual = await waitForAsync(30) {
            guard let ma = try? await Self.data(a + "/api/v1/metadata"), let mb = try? await Self.data(b + "/api/v1/metadata"),
                  let mq = try? await Self.data(q + "/api/v1/metadata") else { return false }
            let want = metaSets(ma).merging(metaSets(mb)) { $0.union($1) }
            let got = metaSets(mq)
            metaDiff = "\(Set(got.keys).symmetricDifference(want.keys).sorted().prefix(10)) \(got.count) vs \(want.count)"
            return got == want && got.count > 100
        }
        #expect(metaEqual, "metadata: \(metaDiff)")
        #expect(try await Self.get(q + "/api/v1/metadata?metric=demo_requests").1
                == #"{"status":"success","data":{"demo_requests":[{"type":"counter","help":"Requests handled.","unit":""}]}}"#)
        #expect(try await Self.data(q + "/api/v1/metadata?limit=3").objectValue?.count == 3)
        #expect(try await Self.data(q + "/api/v1/metadata?limit_per_metric=1").objectValue?.allSatisfy { $0.value.arrayValue?.count == 1 } == true)
        let (s1, b1) = try await Self.get(q + "/api/v1/metadata?limit=abc")
        let (s2, b2) = try await Self.get(a + "/api/v1/metadata?limit=abc")
        #expect(s1 == 400 && s1 == s2 && b1 == b2, "\(s1) \(b1) vs \(s2) \(b2)")
        // 2.42 ignores limit_per_metric; the querier applies it and rejects a bad one as Prometheus 3 does.
        #expect(try await Self.get(q + "/api/v1/metadata?limit_per_metric=x")
                == (400, #"{"status":"error","errorType":"bad_data","error":"limit_per_metric must be a number"}"#))

        // Rules: replica a's groups and rules, each once, labels through the querier.
        let promRules = try await Self.data(a + "/api/v1/rules")
        let ourRules = try await Self.data(q + "/api/v1/rules")
        func ruleKeys(_ d: JSONValue, _ map: ([String: String]) -> [String: String]) -> [String] {
            (d["groups"]?.arrayValue ?? []).flatMap { g in
                (g["rules"]?.arrayValue ?? []).map { r in
                    "\(g["name"]?.stringValue ?? "")/\(g["file"]?.stringValue ?? "") \(r["type"]?.stringValue ?? "") \(r["name"]?.stringValue ?? "")"
                        + " \(r["query"]?.stringValue ?? "") {\(Self.text(map(Self.dict(r["labels"]))))} \(r["health"]?.stringValue ?? "")"
                        + " \(r["state"]?.stringValue ?? "-") \(r["alerts"]?.arrayValue?.count ?? -1)"
                }
            }
        }
        #expect(ruleKeys(ourRules, { $0 }) == ruleKeys(promRules, Self.viaQuerier) && ruleKeys(ourRules, { $0 }).count == 4,
                "ours \(ruleKeys(ourRules, { $0 }))\ntheirs \(ruleKeys(promRules, Self.viaQuerier))")
        let ourGroup = ourRules["groups"]?.arrayValue?.first, promGroup = promRules["groups"]?.arrayValue?.first
        #expect(Self.keys(ourGroup) == Self.keys(promGroup))
        for (i, r) in (ourGroup?["rules"]?.arrayValue ?? []).enumerated() {
            let p = promGroup?["rules"]?.arrayValue?[i]
            #expect(Self.keys(r) == Self.keys(p), "rule fields \(Self.keys(r)) vs \(Self.keys(p))")
            #expect(Self.keys(r["alerts"]?.arrayValue?.first) == Self.keys(p?["alerts"]?.arrayValue?.first))
        }
        // The firing alert once, as one of the replicas has it.
        let ourAlerts = try await Self.data(q + "/api/v1/alerts")["alerts"]?.arrayValue ?? []
        let theirAlerts = [try await Self.data(a + "/api/v1/alerts"), try await Self.data(b + "/api/v1/alerts")].compactMap { $0["alerts"]?.arrayValue?.first }
        #expect(ourAlerts.count == 1 && theirAlerts.contains(ourAlerts[0]), "ours \(ourAlerts)\ntheirs \(theirAlerts)")
        // Filters.
        func ruleNames(_ query: String, from base: String = q) async throws -> [String] {
            try await (Self.data(base + "/api/v1/rules?" + query)["groups"]?.arrayValue ?? []).map { g in
                (g["name"]?.stringValue ?? "") + ":" + (g["rules"]?.arrayValue ?? []).map { $0["name"]?.stringValue ?? "" }.joined(separator: ",")
            }
        }
        // The type filter as Prometheus applies it (its answer decides about emptied groups).
        for type in ["record", "alert"] {
            #expect(try await ruleNames("type=" + type) == (try await ruleNames("type=" + type, from: a)), "type=\(type)")
        }
        #expect(try await ruleNames("type=record").joined(separator: " ").contains("demo:job:up:sum"))
        #expect(try await ruleNames("rule_name%5B%5D=AlwaysFiring") == ["demo:AlwaysFiring"])
        #expect(try await ruleNames("rule_group%5B%5D=records") == ["records:demo:requests:rate1m"])
        #expect(try await ruleNames("match%5B%5D=" + PromQLDifferential.encode("{severity=\"page\"}")) == ["demo:AlwaysFiring"])
        #expect(try await ruleNames("file%5B%5D=" + PromQLDifferential.encode(rules)).count == 2)
        let excluded = try await Self.get(q + "/api/v1/rules?exclude_alerts=true&rule_name[]=AlwaysFiring").1
        #expect(excluded.contains("\"alerts\":null") && !excluded.contains("\"activeAt\""), "\(excluded)")
        let (bs1, bb1) = try await Self.get(q + "/api/v1/rules?type=bogus")
        let (bs2, bb2) = try await Self.get(a + "/api/v1/rules?type=bogus")
        #expect(bs1 == 400 && bs1 == bs2 && bb1 == bb2, "\(bb1) vs \(bb2)")

        // Exemplars of a fixed past window: both replicas' exemplars of each series, once.
        let end = currentTimeMillis() - 1000
        let window = "start=\(Double(end - 120_000) / 1000)&end=\(Double(end) / 1000)"
        func exemplarList(_ d: JSONValue, _ map: ([String: String]) -> [String: String]) -> [String: Set<String>] {
            var out: [String: Set<String>] = [:]
            for s in d.arrayValue ?? [] {
                let k = Self.text(map(Self.dict(s["seriesLabels"])))
                for e in s["exemplars"]?.arrayValue ?? [] {
                    out[k, default: []].insert("\(Self.text(Self.dict(e["labels"])))=\(e["value"]?.stringValue ?? "")@\(e["timestamp"].map { $0.serialized() } ?? "")")
                }
            }
            return out
        }
        for query in ["demo_requests_total", "demo_latency_seconds_bucket", "rate(demo_requests_total[1m]) / demo_latency_seconds_bucket"] {
            let enc = PromQLDifferential.encode(query)
            let ex = try await Self.data(q + "/api/v1/query_exemplars?query=\(enc)&" + window)
            let pa = try await Self.data(a + "/api/v1/query_exemplars?query=\(enc)&" + window)
            let pb = try await Self.data(b + "/api/v1/query_exemplars?query=\(enc)&" + window)
            let want = exemplarList(pa, Self.viaQuerier).merging(exemplarList(pb, Self.viaQuerier)) { $0.union($1) }
            #expect(!want.isEmpty && exemplarList(ex, { $0 }) == want, "\(query): ours \(exemplarList(ex, { $0 }))\ntheirs \(want)")
            // One entry per series, exemplars in time order, Prometheus's fields.
            let series = ex.arrayValue ?? []
            #expect(series.count == want.count)
            for s in series {
                let ts = (s["exemplars"]?.arrayValue ?? []).compactMap { $0["timestamp"] }.map { $0.serialized() }.compactMap(Double.init)
                #expect(ts == ts.sorted() && Self.keys(s["exemplars"]?.arrayValue?.first) == ["labels", "value", "timestamp"])
            }
        }
        // A matcher on an external label picks that replica (the matcher itself is not sent to Prometheus).
        let onlyA = try await Self.data(q + "/api/v1/query_exemplars?query=" + PromQLDifferential.encode("demo_latency_seconds_bucket{replica=\"a\"}") + "&" + window)
        let pa = try await Self.data(a + "/api/v1/query_exemplars?query=demo_latency_seconds_bucket&" + window)
        #expect(exemplarList(onlyA, { $0 }) == exemplarList(pa, Self.viaQuerier))
        #expect(try await Self.get(q + "/api/v1/query_exemplars?query=1").0 == 204)
        let (ps1, pb1) = try await Self.get(q + "/api/v1/query_exemplars?query=" + PromQLDifferential.encode("foo("))
        let (ps2, pb2) = try await Self.get(a + "/api/v1/query_exemplars?query=" + PromQLDifferential.encode("foo("))
        #expect(ps1 == ps2 && pb1 == pb2, "\(pb1) vs \(pb2)")

        // A querier whose byte budget the fleet's metadata exceeds answers with an error naming the flag.
        let smallPort = try freePort()
        _ = try stack.start("strata-query", ["--endpoint", sidecarGRPC["a"]!, "--store.sd-interval", "1s", "--query.fleet-max-bytes", "1KiB",
                                             "--http-address", "127.0.0.1:\(smallPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        var small = (0, "")
        let refused = await waitForAsync(30) {
            small = (try? await Self.get("http://127.0.0.1:\(smallPort)/api/v1/metadata")) ?? (0, "")
            return small.0 == 422
        }
        #expect(refused && small.1.contains("--query.fleet-max-bytes") && small.1.contains("\"errorType\":\"execution\""), "\(small)")

        // Replica b's sidecar stops: a warning with partial response, an error without.
        let sidecarB = stack.processes[1].0
        sidecarB.terminate()
        sidecarB.waitUntilExit()
        let partial = try JSONValue(parsing: try await Self.get(q + "/api/v1/targets").1)
        let warnings = partial["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(partial["status"]?.stringValue == "success" && warnings.contains { $0.contains(sidecarGRPC["b"]!) }, "\(partial.serialized())")
        let left = (partial["data"]?["activeTargets"]?.arrayValue ?? []).map { key($0, { $0 }) }
        let fromA = Set((promTargets[0]["activeTargets"]?.arrayValue ?? []).map { key($0, Self.viaQuerier) })
        #expect(Set(left) == fromA, "\(left)")
        let rulesPartial = try JSONValue(parsing: try await Self.get(q + "/api/v1/rules").1)
        #expect(ruleKeys(rulesPartial["data"] ?? .null, { $0 }).count == 4 && rulesPartial["warnings"] != nil)
        let (status, body) = try await Self.get(q + "/api/v1/targets?partial_response=false")
        #expect(status == 500 && body.contains("\"status\":\"error\"") && body.contains(sidecarGRPC["b"]!), "\(status) \(body)")
    }
}
