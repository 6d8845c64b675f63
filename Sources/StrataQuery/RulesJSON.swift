import StrataCore
import StrataPromQL
import StrataStoreAPI
import SwiftProtobuf

/// The `data` of `/api/v1/rules` and `/api/v1/alerts` from rulespb groups, exactly as
/// Prometheus 2.42 writes it (see `FleetJSON`): the querier writes the fleet's merged groups
/// with it, and the ruler its own.
public enum RulesJSON {
    /// `exclude_alerts` (Prometheus 3): alerting rules without their alerts (`null`, as
    /// Prometheus writes the nil list).
    public static func rules(_ groups: [Thanos_RuleGroup], excludeAlerts: Bool) -> String {
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
    public static func alerts(_ groups: [Thanos_RuleGroup]) -> String {
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
