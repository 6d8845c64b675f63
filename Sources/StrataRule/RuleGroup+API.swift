import StrataCore
import StrataPromQL
import StrataStoreAPI
import SwiftProtobuf

extension RuleGroup {
    /// The group as Thanos's rulespb describes it: what the Rules gRPC API answers and the
    /// ruler's `/api/v1/rules` and `/api/v1/alerts` write (Prometheus's fields: alerting rules
    /// with their configured labels and annotations and their active alerts, alert values
    /// in Go's `%e`).
    func snapshot() -> Thanos_RuleGroup {
        var g = Thanos_RuleGroup()
        g.name = definition.name
        g.file = definition.file
        g.interval = Double(interval) / 1000
        g.limit = Int64(definition.limit)
        g.evaluationDurationSeconds = evaluationSeconds
        g.lastEvaluation = Self.timestamp(lastEvaluation)
        g.partialResponseStrategy = definition.partialResponseStrategy == .abort ? .abort : .warn
        g.rules = rules.map { r in
            var out = Thanos_Rule()
            let def = r.definition
            let labels = Self.labelSet(definition.labels + def.labels)
            switch def.kind {
            case .recording(let name):
                var rec = Thanos_RecordingRule()
                rec.name = name
                rec.query = def.expr
                rec.labels = labels
                rec.health = r.status.health
                rec.lastError = r.status.lastError
                rec.evaluationDurationSeconds = r.status.evaluationSeconds
                rec.lastEvaluation = Self.timestamp(r.status.lastEvaluation)
                out.recording = rec
            case .alerting(let name):
                var a = Thanos_Alert()
                a.name = name
                a.query = def.expr
                a.durationSeconds = Double(def.holdDuration) / 1000
                a.keepFiringForSeconds = Double(def.keepFiringFor) / 1000
                a.labels = labels
                a.annotations = Self.labelSet(def.annotations)
                let state = r.alerting ?? AlertingRuleState(definition: def)
                a.state = Self.protoState(state.state)
                a.alerts = state.active.keys.sorted().compactMap { key in
                    guard let x = state.active[key], x.state != .inactive else { return nil }
                    var i = Thanos_AlertInstance()
                    i.labels.labels = x.labels.proto
                    i.annotations.labels = x.annotations.proto
                    i.state = Self.protoState(x.state)
                    i.activeAt = Self.timestamp(x.activeAt)
                    i.value = formatGoExponent(x.value)
                    i.partialResponseStrategy = g.partialResponseStrategy
                    return i
                }
                a.health = r.status.health
                a.lastError = r.status.lastError
                a.evaluationDurationSeconds = r.status.evaluationSeconds
                a.lastEvaluation = Self.timestamp(r.status.lastEvaluation)
                out.alert = a
            }
            return out
        }
        return g
    }

    static func protoState(_ s: AlertState) -> Thanos_AlertState {
        switch s {
        case .inactive: return .inactive
        case .pending: return .pending
        case .firing: return .firing
        }
    }

    /// Labels sorted by name, as Prometheus's label sets are.
    static func labelSet(_ pairs: [(String, String)]) -> Thanos_ZLabelSet {
        var z = Thanos_ZLabelSet()
        z.labels = Labels(pairs.map { Label($0.0, $0.1) }).proto
        return z
    }

    /// Milliseconds as a protobuf timestamp; 0 ("never") as Go's zero time.
    static func timestamp(_ ms: Int64) -> Google_Protobuf_Timestamp {
        guard ms != 0 else { return .goZero }
        let s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)
        return Google_Protobuf_Timestamp(seconds: s, nanos: Int32((ms - s * 1000) * 1_000_000))
    }
}
