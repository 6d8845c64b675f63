import StrataCore
import StrataPromQL
import StrataStoreAPI
import SwiftProtobuf

/// The rule groups of all endpoints as one `/api/v1/rules` answer: filtered as Prometheus
/// 3.x filters (`rule_name[]`, `rule_group[]`, `file[]`, `match[]`), groups with the same file
/// and name merged, and each rule once across HA replicas by Thanos's rules (pkg/rules
/// dedupRules): with the replica labels removed, rules of the same kind, name, labels, query
/// (and hold duration, for alerts) are one rule; of the copies, the alert in the highest state
/// (firing, pending, inactive) wins, then the latest evaluation. Unlike Thanos, groups and
/// rules keep the order they arrive in — the endpoints' order, then each Prometheus's file
/// order — so that replicas of one Prometheus answer exactly as it does.
enum RulesMerge {
    static func merge(_ parts: [Thanos_RuleGroup], filter: RulesFilter, replicaLabels: Set<String>) -> [Thanos_RuleGroup] {
        var order: [String] = []
        var groups: [String: Thanos_RuleGroup] = [:]
        for g in parts {
            if !filter.groups.isEmpty && !filter.groups.contains(g.name) { continue }
            if !filter.files.isEmpty && !filter.files.contains(g.file) { continue }
            let rules = g.rules.filter { filter.keeps($0) }
            if rules.isEmpty && filter.dropsEmptyGroups { continue }
            let key = g.file + ";" + g.name
            if var kept = groups[key] {
                kept.rules += rules
                groups[key] = kept
            } else {
                var copy = g
                copy.rules = rules
                groups[key] = copy
                order.append(key)
            }
        }
        return order.map { key in
            var g = groups[key]!
            g.rules = dedup(g.rules, replicaLabels: replicaLabels)
            return g
        }
    }

    struct RuleKey: Hashable {
        let alerting: Bool
        let name: String
        let labels: Labels
        let query: String
        let duration: Double
    }

    static func dedup(_ rules: [Thanos_Rule], replicaLabels: Set<String>) -> [Thanos_Rule] {
        var out: [Thanos_Rule] = []
        var index: [RuleKey: Int] = [:]
        for var r in rules {
            let labels = r.labels.removing(replicaLabels)
            r.setLabels(labels)
            let key = RuleKey(alerting: r.isAlert, name: r.name, labels: labels, query: r.query,
                              duration: r.isAlert ? r.alert.durationSeconds : 0)
            if let i = index[key] {
                if preferred(r, over: out[i]) { out[i] = r }
            } else {
                index[key] = out.count
                out.append(r)
            }
        }
        return out
    }

    /// Thanos's `Alert.Compare` / `RecordingRule.Compare` < 0.
    static func preferred(_ r: Thanos_Rule, over kept: Thanos_Rule) -> Bool {
        if case .alert(let a)? = r.result, case .alert(let k)? = kept.result, a.state.rawValue != k.state.rawValue {
            return a.state.rawValue > k.state.rawValue
        }
        return Google_Protobuf_Timestamp.compare(r.lastEvaluation, kept.lastEvaluation) > 0
    }
}

extension Thanos_Rule {
    var isAlert: Bool { if case .alert? = result { return true }; return false }

    var name: String { isAlert ? alert.name : recording.name }

    var query: String { isAlert ? alert.query : recording.query }

    var labels: Labels { Labels(proto: isAlert ? alert.labels.labels : recording.labels.labels) }

    var lastEvaluation: Google_Protobuf_Timestamp {
        switch result {
        case .alert(let a)?: return a.hasLastEvaluation ? a.lastEvaluation : .goZero
        case .recording(let r)?: return r.hasLastEvaluation ? r.lastEvaluation : .goZero
        case nil: return .goZero
        }
    }

    mutating func setLabels(_ l: Labels) {
        switch result {
        case .alert(var a)?:
            a.labels.labels = l.proto
            alert = a
        case .recording(var r)?:
            r.labels.labels = l.proto
            recording = r
        case nil: break
        }
    }
}

/// Which rules an `/api/v1/rules` request (or a Rules API request) asks for.
public struct RulesFilter: Sendable {
    public var ruleNames: Set<String> = []
    public var groups: Set<String> = []
    public var files: Set<String> = []
    /// `match[]`: a rule is kept when its labels match every matcher of some set.
    public var matcherSets: [[Matcher]] = []
    public var type: Thanos_RulesRequest.TypeEnum = .all

    public init() {}

    /// Whether groups emptied by the filter are left out (Prometheus 3 and Thanos drop them;
    /// a type filter alone keeps them, as Thanos's Rules API requires).
    public var dropsEmptyGroups: Bool { !ruleNames.isEmpty || !groups.isEmpty || !files.isEmpty || !matcherSets.isEmpty }

    public func keeps(_ r: Thanos_Rule) -> Bool {
        switch (type, r.result) {
        case (.alert, .recording?), (.record, .alert?): return false
        default: break
        }
        if !ruleNames.isEmpty && !ruleNames.contains(r.name) { return false }
        if matcherSets.isEmpty { return true }
        let labels = r.labels
        return matcherSets.contains { set in set.allSatisfy { $0.matches(labels[$0.name]) } }
    }
}

extension RulesFilter {
    /// The filter a Rules API request carries (its `match[]` strings parsed as series
    /// selectors), so a ruler answers the querier's fan-out exactly as `/api/v1/rules` would.
    public init(request: Thanos_RulesRequest) throws {
        self.init()
        type = request.type
        ruleNames = Set(request.ruleName)
        groups = Set(request.ruleGroup)
        files = Set(request.file)
        matcherSets = try request.matcherString.map { try PromQL.parseMetricSelector($0) }
    }

    /// `groups` with this filter applied (one endpoint's groups: nothing to deduplicate).
    public func apply(_ groups: [Thanos_RuleGroup]) -> [Thanos_RuleGroup] {
        RulesMerge.merge(groups, filter: self, replicaLabels: [])
    }
}

extension RulesFilter {
    /// The filter of an `/api/v1/rules` request: `type`, and Prometheus 3's `rule_name[]`,
    /// `rule_group[]`, `file[]` and `match[]`.
    public init(form: FormValues, compat: PromQLCompat) throws {
        self.init()
        type = try Self.ruleType(form)
        ruleNames = Set(form.all("rule_name[]"))
        groups = Set(form.all("rule_group[]"))
        files = Set(form.all("file[]"))
        matcherSets = try APIParams.selectors(form, compat: compat)
    }

    static func ruleType(_ form: FormValues) throws -> Thanos_RulesRequest.TypeEnum {
        let t = (form["type"] ?? "").lowercased()
        switch t {
        case "": return .all
        case "alert": return .alert
        case "record": return .record
        default: throw APIError(.badData, "invalid parameter \"type\": not supported value \(goQuote(t))")
        }
    }

    /// Go's strconv.ParseBool of the lower-cased value, as Prometheus reads `exclude_alerts`.
    public static func excludeAlerts(_ form: FormValues) throws -> Bool {
        let s = (form["exclude_alerts"] ?? "").lowercased()
        switch s {
        case "": return false
        case "1", "t", "true": return true
        case "0", "f", "false": return false
        default:
            throw APIError(.badData, "invalid parameter \"exclude_alerts\": error converting exclude_alerts: strconv.ParseBool: parsing \(goQuote(s)): invalid syntax")
        }
    }
}
