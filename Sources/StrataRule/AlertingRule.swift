import StrataCore
import StrataTemplate

/// An alert's state, as Prometheus names them.
public enum AlertState: Int, Sendable, Comparable {
    case inactive = 0, pending, firing

    public var name: String {
        switch self {
        case .inactive: return "inactive"
        case .pending: return "pending"
        case .firing: return "firing"
        }
    }

    public static func < (a: AlertState, b: AlertState) -> Bool { a.rawValue < b.rawValue }
}

/// One alert of an alerting rule (Prometheus `rules.Alert`). Times are milliseconds; 0 is
/// Go's zero time ("never").
public struct RuleAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    public var state: AlertState
    public var value: Double
    public var activeAt: Int64
    public var firedAt: Int64 = 0
    public var resolvedAt: Int64 = 0
    public var lastSentAt: Int64 = 0
    public var validUntil: Int64 = 0
    public var keepFiringSince: Int64 = 0

    /// Prometheus `Alert.needsSending`: pending alerts never; a resolution not sent yet; a
    /// firing alert again once `resendDelay` has passed since it was last sent.
    func needsSending(_ ts: Int64, resendDelay: Int64) -> Bool {
        if state == .pending { return false }
        if resolvedAt > lastSentAt { return true }
        return lastSentAt + resendDelay < ts
    }
}

/// How long a resolved alert is kept (and re-sent as resolved): Prometheus's 15 minutes.
let resolvedRetention: Int64 = 15 * 60_000

/// An alerting rule's evaluation (Prometheus `AlertingRule.Eval`): the query's samples become
/// alerts keyed by their final labels; new ones start pending, pending ones fire once `for`
/// has passed, ones that vanished resolve (after `keep_firing_for`) and stay 15 minutes to
/// send the resolution. The `ALERTS` and `ALERTS_FOR_STATE` samples are produced once the
/// rule's `for` state has been restored (or needs no restoring).
struct AlertingRuleState: Sendable {
    let definition: RuleDefinition
    var active: [Labels: RuleAlert] = [:]
    var restored = false

    init(definition: RuleDefinition) { self.definition = definition }

    /// The same rule after a reload: its alerts carry over.
    init(definition: RuleDefinition, carrying old: AlertingRuleState) {
        self.definition = definition
        active = old.active
        restored = old.restored
    }

    var name: String { definition.name }

    /// What a template sees besides the sample: shared by every alert of one evaluation.
    struct TemplateInputs: Sendable {
        var externalLabels: [String: String]
        var externalURL: String
        var context: TemplateContext
    }

    /// Updates the alerts from one evaluation's samples and returns the `ALERTS` /
    /// `ALERTS_FOR_STATE` samples to record.
    mutating func evaluate(_ samples: [RuleSample], at ts: Int64, limit: Int, groupLabels: [(String, String)],
                           templates: TemplateInputs) async throws -> [RuleSample] {
        var current: [Labels: RuleAlert] = [:]
        if samples.contains(where: { $0.histogram != nil }) {
            throw RuleEvaluationError.histogram("alerting on native histogram samples is not supported; compare a float derived from them (e.g. histogram_count)")
        }
        for s in samples {
            let sampleLabels = Dictionary(s.labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            func expand(_ text: String) async -> String {
                await AlertTemplate.expand(alertName: name, text: text, labels: sampleLabels, externalLabels: templates.externalLabels,
                                           externalURL: templates.externalURL, value: s.value, context: templates.context)
            }
            var b = s.labels.removing(["__name__"]).pairs.map { ($0.name, $0.value) }
            func set(_ n: String, _ v: String) {
                b.removeAll { $0.0 == n }
                if !v.isEmpty { b.append((n, v)) }
            }
            for (n, v) in groupLabels { set(n, v) }
            for (n, v) in definition.labels { set(n, await expand(v)) }
            set("alertname", name)
            var annotations: [(String, String)] = []
            for (n, v) in definition.annotations { annotations.append((n, await expand(v))) }
            let labels = Labels(b.map { Label($0.0, $0.1) })
            guard current[labels] == nil else {
                throw RuleEvaluationError.duplicateLabels("vector contains metrics with the same labelset after applying alert labels")
            }
            current[labels] = RuleAlert(labels: labels, annotations: Labels(annotations.map { Label($0.0, $0.1) }),
                                    state: .pending, value: s.value, activeAt: ts)
        }
        for (key, a) in current {
            if var existing = active[key], existing.state != .inactive {
                existing.value = a.value
                existing.annotations = a.annotations
                active[key] = existing
            } else {
                active[key] = a
            }
        }
        var out: [RuleSample] = []
        var numActive = 0
        for key in active.keys.sorted() {
            guard var a = active[key] else { continue }
            if current[key] == nil {
                var keepFiring = false
                if a.state == .firing && definition.keepFiringFor > 0 {
                    if a.keepFiringSince == 0 { a.keepFiringSince = ts }
                    keepFiring = ts - a.keepFiringSince < definition.keepFiringFor
                }
                if a.state == .pending || (a.resolvedAt != 0 && ts - a.resolvedAt > resolvedRetention) {
                    active[key] = nil
                    continue
                }
                if a.state != .inactive && !keepFiring {
                    a.state = .inactive
                    a.resolvedAt = ts
                }
                active[key] = a
                if !keepFiring { continue }
            } else {
                a.keepFiringSince = 0
            }
            numActive += 1
            if a.state == .pending && ts - a.activeAt >= definition.holdDuration {
                a.state = .firing
                a.firedAt = ts
            }
            active[key] = a
            if restored {
                out.append(RuleSample(labels: a.labels.merging(Labels([Label("__name__", "ALERTS"),
                                                                       Label("alertstate", a.state.name)]), overwrite: true), value: 1))
                out.append(RuleSample(labels: a.labels.merging(Labels([Label("__name__", "ALERTS_FOR_STATE")]), overwrite: true),
                                      value: Double(a.activeAt / 1000)))
            }
        }
        if limit > 0 && numActive > limit {
            active = [:]
            throw RuleEvaluationError.limit("exceeded limit of \(limit) with \(numActive) alerts")
        }
        return out
    }

    /// The alerts due for sending (Prometheus `sendAlerts`), marked as sent at `ts` and valid
    /// for four evaluation or resend periods (two failed evaluations or sends are tolerated).
    mutating func alertsToSend(at ts: Int64, resendDelay: Int64, interval: Int64) -> [RuleAlert] {
        var out: [RuleAlert] = []
        for key in active.keys.sorted() {
            guard var a = active[key], a.needsSending(ts, resendDelay: resendDelay) else { continue }
            a.lastSentAt = ts
            a.validUntil = ts + 4 * max(resendDelay, interval)
            active[key] = a
            out.append(a)
        }
        return out
    }

    /// The state shown by the APIs: the most severe alert's.
    var state: AlertState { active.values.map(\.state).max() ?? .inactive }
}

/// Why a rule's evaluation failed, in Prometheus's words.
enum RuleEvaluationError: Error, CustomStringConvertible {
    case duplicateLabels(String)
    case limit(String)
    case histogram(String)

    var description: String {
        switch self {
        case .duplicateLabels(let m), .limit(let m), .histogram(let m): return m
        }
    }
}
