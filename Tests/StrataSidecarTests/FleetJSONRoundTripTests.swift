import Foundation
import StrataCore
@testable import StrataQuery
@testable import StrataSidecar
import StrataStoreAPI
import StrataTestSupport
import Testing

/// What a real Prometheus 2.42 answers for targets, metadata, exemplars, rules and alerts,
/// read into Thanos's messages as the sidecar reads it and written back as the querier writes
/// it, must come out byte for byte as Prometheus wrote it: nothing lost on the wire that
/// Prometheus's JSON carries, every field, float and time in Prometheus's form.
@Suite(.serialized) struct FleetJSONRoundTripTests {
    /// The `data` member of a raw answer, re-wrapped by the test so it can be compared whole.
    static func raw(_ url: String) async throws -> (text: String, data: JSONValue) {
        let text = try await PromQLDifferential.get(url)
        guard let data = try JSONValue(parsing: text)["data"] else { throw MissingComponent(description: "\(url): \(text.prefix(200))") }
        return (text, data)
    }

    static func wrap(_ data: String) -> String { "{\"status\":\"success\",\"data\":" + data + "}" }

    @Test(.timeLimit(.minutes(3))) func prometheusAnswersSurviveTheWireUnchanged() async throws {
        guard let node = try await FleetTargets.nodeExporter() else { return }
        defer { node.stop() }
        guard let exemplarTarget = try await FleetTargets.exemplarTarget() else { return }
        defer { exemplarTarget.stop() }
        guard let prom = try PrometheusServer.start(
            blocks: [], externalLabels: ["replica": "a"],
            scrapeTargets: ["node": "127.0.0.1:\(node.port)", "exemplars": "127.0.0.1:\(exemplarTarget.port)", "down": "127.0.0.1:1"],
            features: ["exemplar-storage"], ruleFiles: [try FleetTargets.ruleFile()], scrapeConfigs: [FleetTargets.droppedJob]) else { return }
        defer { prom.stop() }
        let warm = await waitForAsync(60) {
            let t = (try? await Self.raw(prom.url + "/api/v1/targets?state=active"))?.data["activeTargets"]?.arrayValue ?? []
            let alerts = (try? await Self.raw(prom.url + "/api/v1/alerts"))?.data["alerts"]?.arrayValue ?? []
            let ex = (try? await Self.raw(prom.url + "/api/v1/query_exemplars?query=demo_requests_total"))?.data.arrayValue ?? []
            return t.filter { $0["health"]?.stringValue == "up" }.count == 2 && t.contains { $0["lastError"]?.stringValue != "" }
                && !alerts.isEmpty && !ex.isEmpty
        }
        #expect(warm)

        let targets = try await Self.raw(prom.url + "/api/v1/targets")
        #expect(Self.wrap(FleetJSON.targets(try PrometheusFleetJSON.targets(targets.data))) == targets.text)

        let metadata = try await Self.raw(prom.url + "/api/v1/metadata")
        let merged = MetadataMerge.merge([try PrometheusFleetJSON.metadata(metadata.data)], limit: -1, limitPerMetric: -1)
        #expect(Self.wrap(FleetJSON.metadata(merged)) == metadata.text)

        for query in ["demo_requests_total", "demo_latency_seconds_bucket"] {
            let ex = try await Self.raw(prom.url + "/api/v1/query_exemplars?query=\(query)")
            #expect(Self.wrap(FleetJSON.exemplars(try PrometheusFleetJSON.exemplars(ex.data))) == ex.text)
        }

        let rules = try await Self.raw(prom.url + "/api/v1/rules")
        let groups = try PrometheusFleetJSON.ruleGroups(rules.data)
        #expect(Self.wrap(RulesJSON.rules(groups, excludeAlerts: false)) == rules.text)
        // Through the querier's merge of one endpoint: unchanged, order kept.
        #expect(Self.wrap(RulesJSON.rules(RulesMerge.merge(groups, filter: .init(), replicaLabels: ["replica"]), excludeAlerts: false)) == rules.text)
        let alerts = try await Self.raw(prom.url + "/api/v1/alerts")
        #expect(Self.wrap(RulesJSON.alerts(groups)) == alerts.text)
    }
}
