import Foundation
import StrataCore
import StrataStoreAPI
import StrataTestSupport
import SwiftProtobuf
import Testing

/// strata-sidecar's Targets, Metadata, Exemplars and Rules services next to a real
/// Prometheus 2.42 (node exporter, an OpenMetrics target with exemplars, a rule file), read by
/// an independent client — Python grpcio over the vendored .proto files — and compared with
/// what Prometheus's own HTTP API answers, external labels added where Thanos adds them.
@Suite(.serialized) struct FleetSidecarTests {
    static let external = ["cluster": "c1", "replica": "a"]

    /// `data` of a Prometheus API answer.
    static func promData(_ url: String) async throws -> JSONValue {
        let v = try JSONValue(parsing: try await PromQLDifferential.get(url))
        guard v["status"]?.stringValue == "success", let d = v["data"] else { throw MissingComponent(description: "\(url): \(v.serialized())") }
        return d
    }

    /// A Prometheus JSON label object as a dictionary.
    static func dict(_ j: JSONValue?) -> [String: String] {
        Dictionary((j?.objectValue ?? []).map { ($0.key, $0.value.stringValue ?? "") }, uniquingKeysWith: { a, _ in a })
    }

    /// A protobuf-JSON ZLabelSet (`{"labels":[{"name":…,"value":…}]}`) as a dictionary.
    static func zlabels(_ j: JSONValue?) -> [String: String] {
        Dictionary((j?["labels"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["value"]?.stringValue ?? "") },
                   uniquingKeysWith: { a, _ in a })
    }

    /// Milliseconds of an RFC 3339 time, as parsed by our own (tested) conversion.
    static func ms(_ text: String?) -> Int64? {
        guard let text, let t = Google_Protobuf_Timestamp(rfc3339: text) else { return nil }
        return t.seconds * 1000 + Int64(t.nanos / 1_000_000)
    }

    /// Each line of the Python client's output as JSON.
    static func frames(_ r: TestEnv.RunResult) throws -> [JSONValue] {
        guard r.status == 0 else { throw MissingComponent(description: "python grpc call failed: \(r.stderr)") }
        return try r.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    @Test(.timeLimit(.minutes(4))) func pythonClientReadsTargetsMetadataExemplarsAndRulesAsPrometheusAnswers() async throws {
        guard let python = try PythonGRPC.interpreter(), let node = try await FleetTargets.nodeExporter() else { return }
        defer { node.stop() }
        guard let exemplarTarget = try await FleetTargets.exemplarTarget() else { return }
        defer { exemplarTarget.stop() }
        guard let prom = try PrometheusServer.start(
            blocks: [], externalLabels: Self.external,
            scrapeTargets: ["node": "127.0.0.1:\(node.port)", "exemplars": "127.0.0.1:\(exemplarTarget.port)"],
            features: ["exemplar-storage"], ruleFiles: [try FleetTargets.ruleFile()], scrapeConfigs: [FleetTargets.droppedJob]) else { return }
        defer { prom.stop() }
        let grpcPort = try freePort()
        let (sidecar, log) = try startService("strata-sidecar", ["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url,
                                                                 "--grpc-address", "127.0.0.1:\(grpcPort)", "--http-address", "127.0.0.1:\(try freePort())"])
        defer { if sidecar.isRunning { sidecar.terminate(); sidecar.waitUntilExit() } }
        // Prometheus has scraped both targets, kept exemplars and fired the alert.
        let warm = await waitForAsync(60) {
            let t = try? await Self.promData(prom.url + "/api/v1/targets?state=active")
            let up = (t?["activeTargets"]?.arrayValue ?? []).filter { $0["health"]?.stringValue == "up" }.count == 2
            let alerts = (try? await Self.promData(prom.url + "/api/v1/alerts"))?["alerts"]?.arrayValue ?? []
            let ex = (try? await Self.promData(prom.url + "/api/v1/query_exemplars?query=demo_latency_seconds_bucket"))?.arrayValue ?? []
            return up && alerts.contains { $0["state"]?.stringValue == "firing" } && !ex.isEmpty
        }
        #expect(warm, "Prometheus did not scrape, evaluate and store exemplars in time")
        #expect(await waitForAsync(60) { CacheServer.canConnect(grpcPort) }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        func call(_ service: String, _ method: String, _ module: String, _ req: String, _ resp: String, _ json: String = "{}",
                  streaming: Bool = true) throws -> [JSONValue] {
            try Self.frames(try PythonGRPC.call(python: python, port: grpcPort, service: service, method: method, module: module,
                                                requestType: req, responseType: resp, requestJSON: json, streaming: streaming))
        }

        // Info advertises the four APIs (an independent reader sees the fields set).
        let info = try call("thanos.info.Info", "Info", "thanos_info_pb2", "InfoRequest", "InfoResponse", streaming: false)
        #expect(info.count == 1 && info[0]["ComponentType"]?.stringValue == "sidecar", "\(info)")
        for field in ["targets", "metric_metadata", "exemplars", "rules"] { #expect(info.first?[field] != nil, "Info lacks \(field): \(info)") }
        #expect(info.first?["exemplars"]?["min_time"]?.stringValue == String(Int64.min))

        // Targets: everything Prometheus lists, labels and discovered labels with the external labels.
        let before = currentTimeMillis()
        let targetFrames = try call("thanos.Targets", "Targets", "thanos_targets_pb2", "TargetsRequest", "TargetsResponse")
        let promTargets = try await Self.promData(prom.url + "/api/v1/targets")
        let after = currentTimeMillis()
        #expect(targetFrames.count == 1)
        let discovery = targetFrames.first?["targets"]
        let ours = discovery?["activeTargets"]?.arrayValue ?? []
        let theirs = promTargets["activeTargets"]?.arrayValue ?? []
        func key(pool: String?, url: String?, labels: [String: String], discovered: [String: String], health: String) -> String {
            "\(pool ?? "") \(url ?? "") \(labels.sorted { $0.key < $1.key }) \(discovered.sorted { $0.key < $1.key }) \(health)"
        }
        let ext = Self.external
        let expected = Set(theirs.map { t in
            key(pool: t["scrapePool"]?.stringValue, url: t["scrapeUrl"]?.stringValue, labels: Self.dict(t["labels"]).merging(ext) { _, e in e },
                discovered: Self.dict(t["discoveredLabels"]).merging(ext) { _, e in e }, health: t["health"]?.stringValue ?? "")
        })
        let got = Set(ours.map { t in
            key(pool: t["scrapePool"]?.stringValue, url: t["scrapeUrl"]?.stringValue, labels: Self.zlabels(t["labels"]),
                discovered: Self.zlabels(t["discoveredLabels"]), health: (t["health"]?.stringValue ?? "DOWN").lowercased())
        })
        #expect(theirs.count == 2 && got == expected, "ours \(got)\ntheirs \(expected)")
        for t in ours {
            // Scraped every second: the time sent lies within the scrapes seen around the call.
            let last = Self.ms(t["lastScrape"]?.stringValue) ?? 0
            #expect(last > before - 5_000 && last <= after, "lastScrape \(t["lastScrape"]?.stringValue ?? "-") outside [\(before - 5000), \(after)]")
            #expect((t["lastScrapeDuration"].flatMap { PrometheusJSONNumber.value($0) } ?? 0) > 0)
            #expect(t["globalUrl"]?.stringValue?.hasPrefix("http://") == true)
        }
        let dropped = discovery?["droppedTargets"]?.arrayValue ?? []
        #expect(dropped.count == 1 && Self.zlabels(dropped.first?["discoveredLabels"])["__address__"] == "127.0.0.1:1"
                && Self.zlabels(dropped.first?["discoveredLabels"])["replica"] == "a", "\(dropped)")
        let onlyDropped = try call("thanos.Targets", "Targets", "thanos_targets_pb2", "TargetsRequest", "TargetsResponse", #"{"state": "DROPPED"}"#)
        #expect(onlyDropped.first?["targets"]?["activeTargets"] == nil && onlyDropped.first?["targets"]?["droppedTargets"]?.arrayValue?.count == 1)

        // Metadata: exactly Prometheus's map, no labels added.
        let metaFrames = try call("thanos.Metadata", "MetricMetadata", "thanos_metadata_pb2", "MetricMetadataRequest", "MetricMetadataResponse",
                                  #"{"limit": -1}"#)
        let promMeta = try await Self.promData(prom.url + "/api/v1/metadata")
        func metaSet(_ list: [JSONValue]) -> Set<String> {
            Set(list.map { "\($0["type"]?.stringValue ?? "")|\($0["help"]?.stringValue ?? "")|\($0["unit"]?.stringValue ?? "")" })
        }
        let gotMeta = Dictionary((metaFrames.first?["metadata"]?["metadata"]?.objectValue ?? []).map { ($0.key, metaSet($0.value["metas"]?.arrayValue ?? [])) },
                                 uniquingKeysWith: { a, _ in a })
        let wantMeta = Dictionary((promMeta.objectValue ?? []).map { ($0.key, metaSet($0.value.arrayValue ?? [])) }, uniquingKeysWith: { a, _ in a })
        #expect(gotMeta.count > 50 && gotMeta == wantMeta, "\(gotMeta.count) vs \(wantMeta.count) metrics")
        #expect(gotMeta["demo_requests"] == ["counter|Requests handled.|"])
        let one = try call("thanos.Metadata", "MetricMetadata", "thanos_metadata_pb2", "MetricMetadataRequest", "MetricMetadataResponse",
                           #"{"metric": "demo_latency_seconds", "limit": -1}"#)
        #expect(one.first?["metadata"]?["metadata"]?.objectValue?.map(\.key) == ["demo_latency_seconds"])

        // Exemplars of a fixed past window: Prometheus's, series labels with the external labels.
        // The window must hold an exemplar of both series: the first scrape's can be newer than
        // its end (the target stamps them with the scrape's second + 0.5).
        var end = currentTimeMillis() - 1000
        func window(_ end: Int64) -> String { "start=\(Double(end - 60_000) / 1000)&end=\(Double(end) / 1000)" }
        let filled = await waitForAsync(30) {
            end = currentTimeMillis() - 1000
            for query in ["demo_requests_total", "demo_latency_seconds_bucket"] {
                let ex = (try? await Self.promData(prom.url + "/api/v1/query_exemplars?query=\(query)&" + window(end)))?.arrayValue ?? []
                if ex.isEmpty { return false }
            }
            return true
        }
        #expect(filled, "Prometheus has no exemplar of both series in the last minute")
        for query in ["demo_requests_total", "demo_latency_seconds_bucket"] {
            let frames = try call("thanos.Exemplars", "Exemplars", "thanos_exemplars_pb2", "ExemplarsRequest", "ExemplarsResponse",
                                  #"{"query": "\#(query)", "start": "\#(end - 60_000)", "end": "\#(end)"}"#)
            let promEx = try await Self.promData(prom.url + "/api/v1/query_exemplars?query=\(query)&" + window(end)).arrayValue ?? []
            let want = promEx.map { s in
                "\(Self.dict(s["seriesLabels"]).merging(ext) { _, e in e }.sorted { $0.key < $1.key }) " + (s["exemplars"]?.arrayValue ?? []).map { e in
                    "\(Self.dict(e["labels"]).sorted { $0.key < $1.key })=\(e["value"]?.stringValue ?? "")@\(PrometheusJSONNumber.millis(e["timestamp"]))"
                }.joined(separator: ",")
            }
            let got = frames.map { f in
                let d = f["data"]
                return "\(Self.zlabels(d?["seriesLabels"]).sorted { $0.key < $1.key }) " + (d?["exemplars"]?.arrayValue ?? []).map { e in
                    "\(Self.zlabels(e["labels"]).sorted { $0.key < $1.key })=\(PrometheusJSONNumber.value(e["value"] ?? .null).map(GoFloat.f) ?? "")@\(e["ts"]?.stringValue ?? "")"
                }.joined(separator: ",")
            }
            #expect(!want.isEmpty && got == want, "\(query):\nours   \(got)\ntheirs \(want)")
        }

        // Rules: Prometheus's groups, rule labels with the external labels, alerts as they are.
        let ruleBefore = currentTimeMillis()
        let groups = try call("thanos.Rules", "Rules", "thanos_rules_pb2", "RulesRequest", "RulesResponse").compactMap { $0["group"] }
        let promRules = try await Self.promData(prom.url + "/api/v1/rules")["groups"]?.arrayValue ?? []
        let ruleAfter = currentTimeMillis()
        #expect(groups.map { $0["name"]?.stringValue ?? "" } == promRules.map { $0["name"]?.stringValue ?? "" })
        for (g, p) in zip(groups, promRules) {
            #expect(g["file"]?.stringValue == p["file"]?.stringValue && g["PartialResponseStrategy"]?.stringValue == "ABORT")
            let last = Self.ms(g["last_evaluation"]?.stringValue) ?? 0
            #expect(last > ruleBefore - 5_000 && last <= ruleAfter, "group lastEvaluation \(g["last_evaluation"]?.stringValue ?? "-")")
            let ourRules = g["rules"]?.arrayValue ?? []
            let theirRules = p["rules"]?.arrayValue ?? []
            #expect(ourRules.count == theirRules.count)
            for (r, t) in zip(ourRules, theirRules) {
                let alerting = t["type"]?.stringValue == "alerting"
                let body = alerting ? r["alert"] : r["recording"]
                #expect(body != nil, "rule kind of \(t)")
                #expect(body?["name"]?.stringValue == t["name"]?.stringValue && body?["query"]?.stringValue == t["query"]?.stringValue)
                #expect(Self.zlabels(body?["labels"]) == Self.dict(t["labels"]).merging(ext) { _, e in e })
                #expect(body?["health"]?.stringValue == t["health"]?.stringValue)
                if alerting {
                    #expect((body?["state"]?.stringValue ?? "UNKNOWN").lowercased() == t["state"]?.stringValue)
                    #expect(PrometheusJSONNumber.value(body?["duration_seconds"] ?? .int(0)) == PrometheusJSONNumber.value(t["duration"] ?? .null))
                    #expect(Self.zlabels(body?["annotations"]) == Self.dict(t["annotations"]))
                    let ourAlerts = body?["alerts"]?.arrayValue ?? []
                    let theirAlerts = t["alerts"]?.arrayValue ?? []
                    #expect(ourAlerts.count == theirAlerts.count)
                    for (a, b) in zip(ourAlerts, theirAlerts) {
                        #expect(Self.zlabels(a["labels"]) == Self.dict(b["labels"]) && Self.zlabels(a["annotations"]) == Self.dict(b["annotations"]))
                        #expect(a["value"]?.stringValue == b["value"]?.stringValue && a["active_at"] != nil)
                        // activeAt does not move while the alert fires: the same instant, to the nanosecond.
                        #expect(a["active_at"].flatMap { $0.stringValue }.flatMap { Google_Protobuf_Timestamp(rfc3339: $0) }
                                == b["activeAt"].flatMap { $0.stringValue }.flatMap { Google_Protobuf_Timestamp(rfc3339: $0) })
                    }
                }
            }
        }
        #expect(groups.flatMap { $0["rules"]?.arrayValue ?? [] }.contains { $0["alert"]?["state"]?.stringValue == "FIRING" })
        let recordOnly = try call("thanos.Rules", "Rules", "thanos_rules_pb2", "RulesRequest", "RulesResponse", #"{"type": "RECORD"}"#)
        let kinds = recordOnly.flatMap { $0["group"]?["rules"]?.arrayValue ?? [] }
        #expect(kinds.count == 2 && kinds.allSatisfy { $0["recording"] != nil }, "\(kinds)")
    }
}

/// Numbers as protobuf JSON and Prometheus JSON write them.
enum PrometheusJSONNumber {
    /// A JSON number, or a string holding one (protobuf JSON writes int64 as strings).
    static func value(_ j: JSONValue) -> Double? {
        switch j {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// Prometheus's seconds-with-fraction timestamp as ms text.
    static func millis(_ j: JSONValue?) -> String {
        guard let j, let s = value(j) else { return "" }
        return String(Int64((s * 1000).rounded()))
    }
}
