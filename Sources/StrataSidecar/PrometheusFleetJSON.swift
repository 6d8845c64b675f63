import StrataCore
import StrataStoreAPI
import SwiftProtobuf

/// Prometheus's JSON answers for targets, metadata, exemplars and rules as the Thanos messages
/// a sidecar sends — the mapping of the JSON tags in Thanos's targetspb, metadatapb,
/// exemplarspb and rulespb. Fields the messages have no place for (`scrapeInterval`,
/// `scrapeTimeout`, Prometheus 3's `keepFiringSince`) are dropped, as Thanos drops them.
/// A malformed answer is an error naming the field, never a silently empty result.
enum PrometheusFleetJSON {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func targets(_ data: JSONValue) throws -> Thanos_TargetDiscovery {
        var d = Thanos_TargetDiscovery()
        for t in try array(data["activeTargets"] ?? .array([]), "activeTargets") {
            var a = Thanos_ActiveTarget()
            a.discoveredLabels = try labelSet(t["discoveredLabels"], "discoveredLabels")
            a.labels = try labelSet(t["labels"], "labels")
            a.scrapePool = t["scrapePool"]?.stringValue ?? ""
            a.scrapeURL = t["scrapeUrl"]?.stringValue ?? ""
            a.globalURL = t["globalUrl"]?.stringValue ?? ""
            a.lastError = t["lastError"]?.stringValue ?? ""
            a.lastScrape = try time(t["lastScrape"], "lastScrape")
            a.lastScrapeDuration = number(t["lastScrapeDuration"])
            switch t["health"]?.stringValue ?? "" {
            case "up": a.health = .up
            case "down": a.health = .down
            case "unknown": a.health = .unknown
            case let h: throw Malformed(description: "target health \(goQuote(h))")
            }
            d.activeTargets.append(a)
        }
        for t in try array(data["droppedTargets"] ?? .array([]), "droppedTargets") {
            var x = Thanos_DroppedTarget()
            x.discoveredLabels = try labelSet(t["discoveredLabels"], "discoveredLabels")
            d.droppedTargets.append(x)
        }
        return d
    }

    static func metadata(_ data: JSONValue) throws -> Thanos_MetricMetadata {
        guard let members = data.objectValue else { throw Malformed(description: "metadata is not an object") }
        var m = Thanos_MetricMetadata()
        for member in members {
            var entry = Thanos_MetricMetadataEntry()
            for item in try array(member.value, "metadata of \(member.key)") {
                var meta = Thanos_Meta()
                meta.type = item["type"]?.stringValue ?? ""
                meta.help = item["help"]?.stringValue ?? ""
                meta.unit = item["unit"]?.stringValue ?? ""
                entry.metas.append(meta)
            }
            m.metadata[member.key] = entry
        }
        return m
    }

    static func exemplars(_ data: JSONValue) throws -> [Thanos_ExemplarData] {
        try array(data, "exemplar data").map { series in
            var d = Thanos_ExemplarData()
            d.seriesLabels = try labelSet(series["seriesLabels"], "seriesLabels")
            d.exemplars = try array(series["exemplars"] ?? .array([]), "exemplars").map { e in
                var x = Thanos_Exemplar()
                x.labels = try labelSet(e["labels"], "exemplar labels")
                guard let v = e["value"]?.stringValue.flatMap(parseSampleValue) else { throw Malformed(description: "exemplar value") }
                x.value = v
                guard let ts = e["timestamp"], let ms = millis(ts) else { throw Malformed(description: "exemplar timestamp") }
                x.ts = ms
                return x
            }
            return d
        }
    }

    /// Rule groups; Prometheus knows no partial responses, so each group is ABORT (as Thanos).
    static func ruleGroups(_ data: JSONValue) throws -> [Thanos_RuleGroup] {
        try array(data["groups"] ?? .array([]), "groups").map { g in
            var group = Thanos_RuleGroup()
            group.name = g["name"]?.stringValue ?? ""
            group.file = g["file"]?.stringValue ?? ""
            group.interval = number(g["interval"])
            group.limit = g["limit"]?.int64Value ?? 0
            group.evaluationDurationSeconds = number(g["evaluationTime"])
            group.lastEvaluation = try time(g["lastEvaluation"], "lastEvaluation")
            group.partialResponseStrategy = .abort
            group.rules = try array(g["rules"] ?? .array([]), "rules").map(rule)
            return group
        }
    }

    static func rule(_ r: JSONValue) throws -> Thanos_Rule {
        var out = Thanos_Rule()
        switch r["type"]?.stringValue?.lowercased() ?? "" {
        case "recording":
            var rec = Thanos_RecordingRule()
            rec.name = r["name"]?.stringValue ?? ""
            rec.query = r["query"]?.stringValue ?? ""
            rec.labels = try labelSet(r["labels"], "rule labels")
            rec.health = r["health"]?.stringValue ?? ""
            rec.lastError = r["lastError"]?.stringValue ?? ""
            rec.evaluationDurationSeconds = number(r["evaluationTime"])
            rec.lastEvaluation = try time(r["lastEvaluation"], "lastEvaluation")
            out.recording = rec
        case "alerting":
            var a = Thanos_Alert()
            a.state = try alertState(r["state"])
            a.name = r["name"]?.stringValue ?? ""
            a.query = r["query"]?.stringValue ?? ""
            a.durationSeconds = number(r["duration"])
            a.keepFiringForSeconds = number(r["keepFiringFor"])
            a.labels = try labelSet(r["labels"], "rule labels")
            a.annotations = try labelSet(r["annotations"], "annotations")
            a.alerts = try array(r["alerts"] ?? .array([]), "alerts").map(alert)
            a.health = r["health"]?.stringValue ?? ""
            a.lastError = r["lastError"]?.stringValue ?? ""
            a.evaluationDurationSeconds = number(r["evaluationTime"])
            a.lastEvaluation = try time(r["lastEvaluation"], "lastEvaluation")
            out.alert = a
        case let t:
            throw Malformed(description: "rule type \(goQuote(t))")
        }
        return out
    }

    /// One alert instance (`/api/v1/rules` alerts, `/api/v1/alerts`).
    static func alert(_ j: JSONValue) throws -> Thanos_AlertInstance {
        var a = Thanos_AlertInstance()
        a.labels = try labelSet(j["labels"], "alert labels")
        a.annotations = try labelSet(j["annotations"], "alert annotations")
        a.state = try alertState(j["state"])
        if let at = j["activeAt"], at != .null { a.activeAt = try time(at, "activeAt") }
        a.value = j["value"]?.stringValue ?? ""
        a.partialResponseStrategy = .abort
        return a
    }

    static func alertState(_ j: JSONValue?) throws -> Thanos_AlertState {
        switch j?.stringValue ?? "" {
        case "inactive": return .inactive
        case "pending": return .pending
        case "firing": return .firing
        case "unknown": return .unknown
        case let s: throw Malformed(description: "alert state \(goQuote(s))")
        }
    }

    static func array(_ j: JSONValue, _ what: String) throws -> [JSONValue] {
        if j == .null { return [] }
        guard let a = j.arrayValue else { throw Malformed(description: "\(what) is not an array") }
        return a
    }

    /// A JSON object of label names to values, in label order (annotations too: Prometheus
    /// keeps both as sorted label sets).
    static func labelSet(_ j: JSONValue?, _ what: String) throws -> Thanos_ZLabelSet {
        var z = Thanos_ZLabelSet()
        guard let j, j != .null else { return z }
        guard let members = j.objectValue else { throw Malformed(description: "\(what) is not an object") }
        z.labels = members.map { m in
            var l = Thanos_Label()
            l.name = m.key
            l.value = m.value.stringValue ?? ""
            return l
        }.sorted { bytewiseLess($0.name, $1.name) }
        return z
    }

    static func time(_ j: JSONValue?, _ what: String) throws -> Google_Protobuf_Timestamp {
        guard let text = j?.stringValue else { return .goZero }
        guard let t = Google_Protobuf_Timestamp(rfc3339: text) else { throw Malformed(description: "\(what) \(goQuote(text)) is not an RFC 3339 time") }
        return t
    }

    static func number(_ j: JSONValue?) -> Double {
        switch j {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return 0
        }
    }

    /// Seconds with a fraction (`1796555738.500`) → ms.
    static func millis(_ j: JSONValue) -> Int64? {
        switch j {
        case .int(let s): return s * 1000
        case .double(let d): return Int64((d * 1000).rounded())
        default: return nil
        }
    }

    /// Prometheus's sample value text (`1.5`, `NaN`, `+Inf`).
    static func parseSampleValue(_ s: String) -> Double? {
        switch s {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default: return Double(s)
        }
    }
}
