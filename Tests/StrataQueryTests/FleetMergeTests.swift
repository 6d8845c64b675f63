import StrataCore
@testable import StrataQuery
import StrataStoreAPI
import SwiftProtobuf
import Testing

/// Deduplication and merging of the fleet APIs' answers, and the time conversion under them.
struct FleetMergeTests {
    static func time(_ s: Int64) -> Google_Protobuf_Timestamp { Google_Protobuf_Timestamp(seconds: s, nanos: 0) }

    static func recording(_ name: String, replica: String, evaluatedAt: Int64) -> Thanos_Rule {
        var r = Thanos_RecordingRule()
        r.name = name
        r.query = "sum(up)"
        r.labels.labels = Labels(["replica": replica, "team": "x"]).proto
        r.lastEvaluation = time(evaluatedAt)
        var rule = Thanos_Rule()
        rule.recording = r
        return rule
    }

    static func alert(_ name: String, replica: String, state: Thanos_AlertState, evaluatedAt: Int64, severity: String = "page") -> Thanos_Rule {
        var a = Thanos_Alert()
        a.name = name
        a.query = "vector(1)"
        a.state = state
        a.labels.labels = Labels(["replica": replica, "severity": severity]).proto
        a.lastEvaluation = time(evaluatedAt)
        var rule = Thanos_Rule()
        rule.alert = a
        return rule
    }

    static func group(_ name: String, _ rules: [Thanos_Rule], file: String = "/r.yml") -> Thanos_RuleGroup {
        var g = Thanos_RuleGroup()
        g.name = name
        g.file = file
        g.rules = rules
        return g
    }

    @Test func rulesOfReplicasAreOneEachInArrivalOrderTheFiringAndLatestWinning() {
        let a = Self.group("g", [Self.recording("r1", replica: "a", evaluatedAt: 10), Self.alert("A1", replica: "a", state: .inactive, evaluatedAt: 20),
                                 Self.alert("A2", replica: "a", state: .firing, evaluatedAt: 5)])
        let b = Self.group("g", [Self.recording("r1", replica: "b", evaluatedAt: 11), Self.alert("A1", replica: "b", state: .pending, evaluatedAt: 1),
                                 Self.alert("A2", replica: "b", state: .firing, evaluatedAt: 6)])
        let merged = RulesMerge.merge([a, b], filter: .init(), replicaLabels: ["replica"])
        #expect(merged.count == 1)
        let rules = merged[0].rules
        #expect(rules.map(\.name) == ["r1", "A1", "A2"])
        #expect(rules[0].lastEvaluation.seconds == 11)
        #expect(rules[1].alert.state == .pending && rules[1].lastEvaluation.seconds == 1, "pending beats inactive whatever the time")
        #expect(rules[2].lastEvaluation.seconds == 6)
        #expect(rules.allSatisfy { !$0.labels.has("replica") })
        // Without replica labels both copies stay.
        #expect(RulesMerge.merge([a, b], filter: .init(), replicaLabels: []).first?.rules.count == 6)
        // Different files are different groups; filters as Prometheus 3 applies them.
        let other = Self.group("g", [Self.alert("A3", replica: "a", state: .firing, evaluatedAt: 1, severity: "ticket")], file: "/other.yml")
        #expect(RulesMerge.merge([a, b, other], filter: .init(), replicaLabels: ["replica"]).map(\.file) == ["/r.yml", "/other.yml"])
        var f = RulesFilter()
        f.matcherSets = [[try! Matcher(.equal, "severity", "ticket")], [try! Matcher(.equal, "team", "x")]]
        #expect(RulesMerge.merge([a, other], filter: f, replicaLabels: ["replica"]).map { $0.rules.map(\.name) } == [["r1"], ["A3"]])
        f = RulesFilter()
        f.ruleNames = ["A2"]
        #expect(RulesMerge.merge([a, other], filter: f, replicaLabels: []).map { $0.rules.map(\.name) } == [["A2"]], "emptied groups dropped")
        f = RulesFilter()
        f.type = .record
        #expect(RulesMerge.merge([a, other], filter: f, replicaLabels: []).map { $0.rules.map(\.name) } == [["r1"], []], "a type filter keeps groups")
    }

    @Test func targetsOfReplicasAreOneEachTheWorstHealthThenTheLatestScrapeWinning() {
        var d1 = Thanos_TargetDiscovery(), d2 = Thanos_TargetDiscovery()
        d1.activeTargets = [activeTarget("http://x/metrics", replica: "a", health: .up, scrapedAt: 5)]
        d2.activeTargets = [activeTarget("http://x/metrics", replica: "b", health: .unknown, scrapedAt: 9)]
        var dropped = Thanos_DroppedTarget()
        dropped.discoveredLabels.labels = Labels(["__address__": "y", "replica": "a"]).proto
        d1.droppedTargets = [dropped]
        dropped.discoveredLabels.labels = Labels(["__address__": "y", "replica": "b"]).proto
        d2.droppedTargets = [dropped]
        let m = TargetsMerge.merge([d1, d2], replicaLabels: ["replica"])
        #expect(m.activeTargets.count == 1 && m.activeTargets[0].health == .up, "up (1) before unknown (2), as Thanos orders them")
        #expect(m.droppedTargets.count == 1 && Labels(proto: m.droppedTargets[0].discoveredLabels.labels) == Labels(["__address__": "y"]))
        #expect(TargetsMerge.merge([d1, d2], replicaLabels: []).activeTargets.count == 2)
        #expect(TargetsMerge.state("ACTIVE") == .active && TargetsMerge.state("any") == .any && TargetsMerge.state("x") == nil)
    }

    @Test func exemplarsOfReplicasAreOneSeriesWithEachExemplarOnceInTimeOrder() {
        func data(_ replica: String, _ points: [(Int64, Double)]) -> Thanos_ExemplarData {
            var d = Thanos_ExemplarData()
            d.seriesLabels.labels = Labels(["__name__": "m", "replica": replica]).proto
            d.exemplars = points.map { ts, v in
                var e = Thanos_Exemplar()
                e.ts = ts
                e.value = v
                e.labels.labels = Labels(["trace_id": "t\(ts)"]).proto
                return e
            }
            return d
        }
        let m = ExemplarsMerge.merge([data("a", [(3, 1), (1, 1)]), data("b", [(2, 1), (3, 1)]), data("c", [])], replicaLabels: ["replica"])
        #expect(m.count == 1 && m[0].exemplars.map(\.ts) == [1, 2, 3])
        #expect(Labels(proto: m[0].seriesLabels.labels) == Labels(["__name__": "m"]))
        #expect(ExemplarsMerge.merge([data("a", [(1, 1)]), data("b", [(1, 1)])], replicaLabels: []).count == 2)
    }

    @Test func metadataIsTheUnionOfDistinctEntriesUnderPrometheusLimits() {
        func meta(_ entries: [String: [(String, String)]]) -> Thanos_MetricMetadata {
            var m = Thanos_MetricMetadata()
            for (name, list) in entries {
                var e = Thanos_MetricMetadataEntry()
                e.metas = list.map { t, h in
                    var x = Thanos_Meta()
                    x.type = t
                    x.help = h
                    return x
                }
                m.metadata[name] = e
            }
            return m
        }
        let a = meta(["up": [("gauge", "Up.")], "b_total": [("counter", "B.")]])
        let b = meta(["up": [("gauge", "Up."), ("gauge", "Other help.")], "a": [("gauge", "A.")]])
        let all = MetadataMerge.merge([a, b], limit: -1, limitPerMetric: -1)
        #expect(all.map(\.metric) == ["a", "b_total", "up"])
        #expect(all.last?.metas.map(\.help) == ["Up.", "Other help."])
        #expect(MetadataMerge.merge([a, b], limit: 2, limitPerMetric: -1).count == 2)
        #expect(MetadataMerge.merge([a, b], limit: 0, limitPerMetric: -1).isEmpty)
        #expect(MetadataMerge.merge([a, b], limit: -1, limitPerMetric: 1).last?.metas.count == 1)
        #expect(FleetJSON.metadata(MetadataMerge.merge([a], limit: -1, limitPerMetric: -1))
                == #"{"b_total":[{"type":"counter","help":"B.","unit":""}],"up":[{"type":"gauge","help":"Up.","unit":""}]}"#)
    }

    @Test func timesConvertAsGoWritesThem() {
        let t = Google_Protobuf_Timestamp(rfc3339: "2026-12-06T11:15:38.744827692Z")
        #expect(t?.seconds == 1_796_555_738 && t?.nanos == 744_827_692 && t?.rfc3339 == "2026-12-06T11:15:38.744827692Z")
        #expect(Google_Protobuf_Timestamp(rfc3339: "0001-01-01T00:00:00Z") == .goZero)
        #expect(Google_Protobuf_Timestamp.goZero.rfc3339 == "0001-01-01T00:00:00Z")
        #expect(Google_Protobuf_Timestamp(rfc3339: "2026-12-06T12:15:38.5+01:00")?.rfc3339 == "2026-12-06T11:15:38.5Z")
        #expect(Google_Protobuf_Timestamp(rfc3339: "1969-12-31T23:59:59.25Z").map { ($0.seconds, $0.nanos) } ?? (0, 0) == (-1, 250_000_000))
        #expect(Google_Protobuf_Timestamp(seconds: -1, nanos: 250_000_000).rfc3339 == "1969-12-31T23:59:59.25Z")
        #expect(Google_Protobuf_Timestamp(rfc3339: "2024-02-29T00:00:00.1234567891Z")?.nanos == 123_456_789)
        for bad in ["", "2026-12-06", "2026-13-01T00:00:00Z", "2026-12-06T11:15:38", "2026-12-06T11:15:38.Z", "2026-12-06T11:15:38Zjunk"] {
            #expect(Google_Protobuf_Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
        var w = JSONBytes()
        for v in [0.000073189, 300, 5e-7, 0, 1.5e21] {
            w.goFloat(v)
            w.append(" ")
        }
        #expect(w.string == "0.000073189 300 5e-7 0 1.5e+21 ")
    }
}
