import StrataCore
import StrataPromQL
import StrataStoreAPI
import SwiftProtobuf

/// The `data` of `/api/v1/targets`, `/metadata`, `/query_exemplars`, `/rules` and `/alerts`
/// exactly as Prometheus 2.42 writes it — field names and order, floats as Go's encoding/json
/// writes them, times as RFC 3339 with nanoseconds, exemplar values and timestamps as in
/// query results — so that Grafana and other Prometheus clients read the querier as they read
/// Prometheus. Thanos's extra `partialResponseStrategy` fields are not written.
enum FleetJSON {
    /// `scrapeInterval` and `scrapeTimeout` are not in Thanos's ActiveTarget message; they are
    /// the target's `__scrape_interval__`/`__scrape_timeout__` discovered labels, which hold
    /// the same value unless relabelling rewrote them (Prometheus reads them after relabelling).
    static func targets(_ d: Thanos_TargetDiscovery) -> String {
        var w = JSONBytes()
        w.append("{\"activeTargets\":[")
        for (i, t) in d.activeTargets.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            let discovered = Labels(proto: t.discoveredLabels.labels)
            w.append("{\"discoveredLabels\":")
            w.metric(discovered)
            w.append(",\"labels\":")
            w.metric(Labels(proto: t.labels.labels))
            w.append(",\"scrapePool\":")
            w.string(t.scrapePool)
            w.append(",\"scrapeUrl\":")
            w.string(t.scrapeURL)
            w.append(",\"globalUrl\":")
            w.string(t.globalURL)
            w.append(",\"lastError\":")
            w.string(t.lastError)
            w.append(",\"lastScrape\":")
            w.time(t.hasLastScrape ? t.lastScrape : .goZero)
            w.append(",\"lastScrapeDuration\":")
            w.goFloat(t.lastScrapeDuration)
            w.append(",\"health\":")
            w.string(health(t.health))
            w.append(",\"scrapeInterval\":")
            w.string(discovered["__scrape_interval__"])
            w.append(",\"scrapeTimeout\":")
            w.string(discovered["__scrape_timeout__"])
            w.byte(UInt8(ascii: "}"))
        }
        w.append("],\"droppedTargets\":[")
        for (i, t) in d.droppedTargets.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.append("{\"discoveredLabels\":")
            w.metric(Labels(proto: t.discoveredLabels.labels))
            w.byte(UInt8(ascii: "}"))
        }
        w.append("]}")
        return w.string
    }

    static func health(_ h: Thanos_TargetHealth) -> String {
        switch h {
        case .up: return "up"
        case .down: return "down"
        default: return "unknown"
        }
    }

    static func metadata(_ list: [(metric: String, metas: [Thanos_Meta])]) -> String {
        var w = JSONBytes()
        w.byte(UInt8(ascii: "{"))
        for (i, entry) in list.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(entry.metric)
            w.append(":[")
            for (j, m) in entry.metas.enumerated() {
                if j > 0 { w.byte(UInt8(ascii: ",")) }
                w.append("{\"type\":")
                w.string(m.type)
                w.append(",\"help\":")
                w.string(m.help)
                w.append(",\"unit\":")
                w.string(m.unit)
                w.byte(UInt8(ascii: "}"))
            }
            w.byte(UInt8(ascii: "]"))
        }
        w.byte(UInt8(ascii: "}"))
        return w.string
    }

    static func exemplars(_ list: [Thanos_ExemplarData]) -> String {
        var w = JSONBytes()
        w.byte(UInt8(ascii: "["))
        for (i, d) in list.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.append("{\"seriesLabels\":")
            w.metric(Labels(proto: d.seriesLabels.labels))
            w.append(",\"exemplars\":[")
            for (j, e) in d.exemplars.enumerated() {
                if j > 0 { w.byte(UInt8(ascii: ",")) }
                w.append("{\"labels\":")
                w.metric(Labels(proto: e.labels.labels))
                w.append(",\"value\":\"")
                w.apiFloat(e.value)
                w.append("\",\"timestamp\":")
                w.timestamp(e.ts)
                w.byte(UInt8(ascii: "}"))
            }
            w.append("]}")
        }
        w.byte(UInt8(ascii: "]"))
        return w.string
    }

    /// `exclude_alerts` (Prometheus 3): alerting rules without their alerts (`null`, as
    /// Prometheus writes the nil list).
    static func rules(_ groups: [Thanos_RuleGroup], excludeAlerts: Bool) -> String {
        var w = JSONBytes()
        w.append("{\"groups\":[")
        for (i, g) in groups.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.append("{\"name\":")
            w.string(g.name)
            w.append(",\"file\":")
            w.string(g.file)
            w.append(",\"rules\":[")
            for (j, r) in g.rules.enumerated() {
                if j > 0 { w.byte(UInt8(ascii: ",")) }
                switch r.result {
                case .alert(let a)?: alertingRule(&w, a, excludeAlerts: excludeAlerts)
                case .recording(let rec)?: recordingRule(&w, rec)
                case nil: w.append("null")
                }
            }
            w.append("],\"interval\":")
            w.goFloat(g.interval)
            w.append(",\"limit\":")
            w.signed(g.limit)
            w.append(",\"evaluationTime\":")
            w.goFloat(g.evaluationDurationSeconds)
            w.append(",\"lastEvaluation\":")
            w.time(g.hasLastEvaluation ? g.lastEvaluation : .goZero)
            w.byte(UInt8(ascii: "}"))
        }
        w.append("]}")
        return w.string
    }

    static func alertingRule(_ w: inout JSONBytes, _ a: Thanos_Alert, excludeAlerts: Bool) {
        w.append("{\"state\":")
        w.string(state(a.state))
        w.append(",\"name\":")
        w.string(a.name)
        w.append(",\"query\":")
        w.string(a.query)
        w.append(",\"duration\":")
        w.goFloat(a.durationSeconds)
        w.append(",\"keepFiringFor\":")
        w.goFloat(a.keepFiringForSeconds)
        w.append(",\"labels\":")
        w.labelObject(a.labels.labels)
        w.append(",\"annotations\":")
        w.labelObject(a.annotations.labels)
        w.append(",\"alerts\":")
        if excludeAlerts {
            w.append("null")
        } else {
            w.byte(UInt8(ascii: "["))
            for (i, x) in a.alerts.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                alert(&w, x)
            }
            w.byte(UInt8(ascii: "]"))
        }
        w.append(",\"health\":")
        w.string(a.health)
        if !a.lastError.isEmpty {
            w.append(",\"lastError\":")
            w.string(a.lastError)
        }
        w.append(",\"evaluationTime\":")
        w.goFloat(a.evaluationDurationSeconds)
        w.append(",\"lastEvaluation\":")
        w.time(a.hasLastEvaluation ? a.lastEvaluation : .goZero)
        w.append(",\"type\":\"alerting\"}")
    }

    /// 2.42 leaves out the labels of a recording rule that has none (`omitempty`, unlike an
    /// alerting rule's; Prometheus 3 writes `{}`).
    static func recordingRule(_ w: inout JSONBytes, _ r: Thanos_RecordingRule) {
        w.append("{\"name\":")
        w.string(r.name)
        w.append(",\"query\":")
        w.string(r.query)
        if !r.labels.labels.isEmpty {
            w.append(",\"labels\":")
            w.labelObject(r.labels.labels)
        }
        w.append(",\"health\":")
        w.string(r.health)
        if !r.lastError.isEmpty {
            w.append(",\"lastError\":")
            w.string(r.lastError)
        }
        w.append(",\"evaluationTime\":")
        w.goFloat(r.evaluationDurationSeconds)
        w.append(",\"lastEvaluation\":")
        w.time(r.hasLastEvaluation ? r.lastEvaluation : .goZero)
        w.append(",\"type\":\"recording\"}")
    }

    /// `/api/v1/alerts`: the alerts of every alerting rule.
    static func alerts(_ groups: [Thanos_RuleGroup]) -> String {
        var w = JSONBytes()
        w.append("{\"alerts\":[")
        var first = true
        for g in groups {
            for r in g.rules {
                guard case .alert(let a)? = r.result else { continue }
                for x in a.alerts {
                    if !first { w.byte(UInt8(ascii: ",")) }
                    first = false
                    alert(&w, x)
                }
            }
        }
        w.append("]}")
        return w.string
    }

    static func alert(_ w: inout JSONBytes, _ x: Thanos_AlertInstance) {
        w.append("{\"labels\":")
        w.labelObject(x.labels.labels)
        w.append(",\"annotations\":")
        w.labelObject(x.annotations.labels)
        w.append(",\"state\":")
        w.string(state(x.state))
        if x.hasActiveAt {
            w.append(",\"activeAt\":")
            w.time(x.activeAt)
        }
        w.append(",\"value\":")
        w.string(x.value)
        w.byte(UInt8(ascii: "}"))
    }

    static func state(_ s: Thanos_AlertState) -> String {
        switch s {
        case .inactive: return "inactive"
        case .pending: return "pending"
        case .firing: return "firing"
        default: return "unknown"
        }
    }
}

extension JSONBytes {
    /// A float64 as Go's encoding/json writes it: fixed notation from 1e-6 to below 1e21,
    /// else the exponent form without a leading zero in the exponent (`5e-7`).
    mutating func goFloat(_ v: Double) {
        let a = abs(v)
        guard v.isFinite else { append("null"); return }
        if a != 0 && (a < 1e-6 || a >= 1e21) {
            var e = formatGoExponent(v)
            if let r = e.range(of: "e-0") { e.replaceSubrange(r, with: "e-") } else if let r = e.range(of: "e+0") { e.replaceSubrange(r, with: "e+") }
            append(e)
        } else {
            append(formatGoFloat(v))
        }
    }

    mutating func signed(_ n: Int64) {
        if n < 0 { byte(UInt8(ascii: "-")) }
        integer(n.magnitude)
    }

    mutating func time(_ t: Google_Protobuf_Timestamp) { string(t.rfc3339) }

    /// Label pairs as a JSON object in their order (annotations, alert labels as sent).
    mutating func labelObject(_ pairs: [Thanos_Label]) {
        byte(UInt8(ascii: "{"))
        for (i, p) in pairs.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(p.name)
            byte(UInt8(ascii: ":"))
            string(p.value)
        }
        byte(UInt8(ascii: "}"))
    }
}
