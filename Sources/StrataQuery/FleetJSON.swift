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
