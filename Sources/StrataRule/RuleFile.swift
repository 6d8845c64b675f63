import Foundation
import StrataCore
import StrataPromQL
import StrataTemplate
import Yams

/// Thanos's per-group extension of Prometheus's rule format: what a group does when some
/// store answered with an error — `warn` evaluates on what did answer (the failure becomes a
/// warning), `abort` fails the evaluation.
public enum PartialResponseStrategy: String, Sendable, CaseIterable {
    case warn = "WARN"
    case abort = "ABORT"
}

/// One rule as written in a rule file.
public struct RuleDefinition: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case recording(String)
        case alerting(String)
    }
    public var kind: Kind
    public var expr: String
    /// `for` and `keep_firing_for` in milliseconds (alerting rules).
    public var holdDuration: Int64 = 0
    public var keepFiringFor: Int64 = 0
    /// Labels and annotations in file order (the API lists them sorted, as Prometheus does).
    public var labels: [(String, String)] = []
    public var annotations: [(String, String)] = []

    public var name: String {
        switch kind {
        case .recording(let n), .alerting(let n): return n
        }
    }

    public static func == (a: RuleDefinition, b: RuleDefinition) -> Bool {
        a.kind == b.kind && a.expr == b.expr && a.holdDuration == b.holdDuration && a.keepFiringFor == b.keepFiringFor
            && a.labels.elementsEqual(b.labels, by: ==) && a.annotations.elementsEqual(b.annotations, by: ==)
    }
}

/// One group of a rule file: rules evaluated in order at one interval.
public struct RuleGroupDefinition: Sendable, Equatable {
    public var file: String
    public var name: String
    /// Milliseconds; nil: the ruler's `--eval-interval`.
    public var interval: Int64?
    public var queryOffset: Int64?
    /// Alerts or series a rule may produce; 0 is no limit.
    public var limit: Int = 0
    public var partialResponseStrategy: PartialResponseStrategy = .warn
    /// Group labels (Prometheus 3): added to every rule's labels.
    public var labels: [(String, String)] = []
    public var rules: [RuleDefinition] = []

    public static func == (a: RuleGroupDefinition, b: RuleGroupDefinition) -> Bool {
        a.file == b.file && a.name == b.name && a.interval == b.interval && a.queryOffset == b.queryOffset
            && a.limit == b.limit && a.partialResponseStrategy == b.partialResponseStrategy
            && a.labels.elementsEqual(b.labels, by: ==) && a.rules == b.rules
    }
}

/// A rule file that cannot be used: every problem found, each as Prometheus's `rulefmt`
/// words it (`<line>:<column>: group "g", rule 2, "Name": <reason>`), prefixed by the file.
public struct RuleFileError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problems: [String]
    public var description: String { problems.map { "\(file): \($0)" }.joined(separator: "\n") }
}

/// Prometheus's rule file format (`model/rulefmt`) with Thanos's `partial_response_strategy`:
/// parsed from YAML with positions, unknown fields refused, every rule validated as
/// `promtool check rules` validates it (expression parses, names valid, templates compile).
public enum RuleFile {
    public static func load(_ path: String) throws -> [RuleGroupDefinition] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw RuleFileError(file: path, problems: ["\(error.localizedDescription)"])
        }
        return try parse(text, file: path)
    }

    /// Every file the patterns name (globs), in order, each once; a pattern that names no
    /// file is not an error (as in Thanos: a rule directory may start empty).
    public static func expand(_ patterns: [String]) -> [String] {
        var out: [String] = []
        for p in patterns {
            for f in glob(p) where !out.contains(f) && !isDirectory(f) { out.append(f) }
        }
        return out
    }

    public static func parse(_ text: String, file: String) throws -> [RuleGroupDefinition] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw RuleFileError(file: file, problems: ["\(error)"])
        }
        guard let root else { return [] }
        var problems: [String] = []
        var groups: [RuleGroupDefinition] = []
        guard let top = root.mapping else { throw RuleFileError(file: file, problems: [position(root) + ": rule file must be a mapping with 'groups'"]) }
        for (k, v) in top {
            guard k.string == "groups" else {
                problems.append(unknownField(k, "rulefmt.RuleGroups"))
                continue
            }
            guard v.sequence != nil || isNull(v) else { problems.append("\(position(v)): 'groups' must be a list"); continue }
            var seen = Set<String>()
            for g in v.sequence ?? [] {
                if let group = parseGroup(g, file: file, seen: &seen, problems: &problems) { groups.append(group) }
            }
        }
        // An unknown field fails the YAML decoding itself (yaml.v3 with known fields): Prometheus
        // then reports only those, in yaml.v3's words.
        let unknown = problems.filter { $0.hasPrefix(unknownMark) }
        if !unknown.isEmpty {
            throw RuleFileError(file: file, problems: ["yaml: unmarshal errors:\n" + unknown.map { "  " + $0.dropFirst(unknownMark.count) }.joined(separator: "\n")])
        }
        if !problems.isEmpty { throw RuleFileError(file: file, problems: problems) }
        return groups
    }

    static func parseGroup(_ node: Node, file: String, seen: inout Set<String>, problems: inout [String]) -> RuleGroupDefinition? {
        guard let map = node.mapping else { problems.append("\(position(node)): a group must be a mapping"); return nil }
        var g = RuleGroupDefinition(file: file, name: "")
        var ruleNodes: [Node] = []
        for (k, v) in map {
            let key = k.string ?? ""
            do {
                switch key {
                case "name": g.name = v.string ?? ""
                case "interval": g.interval = try duration(v)
                case "query_offset": g.queryOffset = try duration(v)
                case "limit":
                    guard let n = Int(v.string ?? "") else { throw Problem("\(position(v)): cannot unmarshal \(v.string ?? "") into int") }
                    g.limit = n
                case "partial_response_strategy":
                    let s = (v.string ?? "").uppercased()
                    guard let p = PartialResponseStrategy(rawValue: s) else {
                        throw Problem("\(position(v)): partial_response_strategy must be warn or abort, not \(goQuote(v.string ?? ""))")
                    }
                    g.partialResponseStrategy = p
                case "labels": g.labels = try pairs(v)
                case "rules": ruleNodes = v.sequence.map { Array($0) } ?? []
                default: problems.append(unknownField(k, "rulefmt.RuleGroup"))
                }
            } catch let p as Problem { problems.append(p.text) } catch { problems.append("\(position(v)): \(error)") }
        }
        if g.name.isEmpty { problems.append("\(position(node)): Groupname must not be empty") }
        if seen.contains(g.name) { problems.append("\(position(node)): groupname: \"\(g.name)\" is repeated in the same file") }
        seen.insert(g.name)
        for (k, v) in g.labels {
            if !validLabelName(k) || k == "__name__" { problems.append("invalid label name: \(k)") }
            _ = v
        }
        for (i, r) in ruleNodes.enumerated() {
            let (rule, errs, unknown) = parseRule(r)
            problems += unknown
            let name = rule.map(\.name) ?? ""
            problems += errs.map { "\($0.position.map { $0 + ": " } ?? "")group \(goQuote(g.name)), rule \(i + 1), \(goQuote(name)): \($0.text)" }
            if let rule, errs.isEmpty { g.rules.append(rule) }
        }
        return g
    }

    struct RuleProblem {
        var position: String?
        var text: String
    }

    static func parseRule(_ node: Node) -> (RuleDefinition?, [RuleProblem], unknown: [String]) {
        guard let map = node.mapping else { return (nil, [RuleProblem(position: position(node), text: "a rule must be a mapping")], []) }
        var unknown: [String] = []
        var record: Node?, alert: Node?, expr: Node?
        var errs: [RuleProblem] = []
        var def = RuleDefinition(kind: .recording(""), expr: "")
        var forNode: Node?, keepNode: Node?, annotationsNode: Node?
        for (k, v) in map {
            let key = k.string ?? ""
            do {
                switch key {
                case "record": record = v
                case "alert": alert = v
                case "expr": expr = v
                case "for": forNode = v; def.holdDuration = try duration(v)
                case "keep_firing_for": keepNode = v; def.keepFiringFor = try duration(v)
                case "labels": def.labels = try pairs(v)
                case "annotations": annotationsNode = v; def.annotations = try pairs(v)
                default: unknown.append(unknownField(k, "rulefmt.RuleNode"))
                }
            } catch let p as Problem { errs.append(RuleProblem(text: p.text)) } catch {
                errs.append(RuleProblem(position: position(v), text: "\(error)"))
            }
        }
        _ = (forNode, keepNode)
        let recordName = record?.string ?? "", alertName = alert?.string ?? ""
        let both = "\(record.map(position) ?? "0:0"): \(alert.map(position) ?? "0:0")"
        if !recordName.isEmpty && !alertName.isEmpty {
            errs.append(RuleProblem(position: both, text: "only one of 'record' and 'alert' must be set"))
        }
        if recordName.isEmpty && alertName.isEmpty {
            errs.append(RuleProblem(position: both, text: "one of 'record' or 'alert' must be set"))
        }
        def.kind = alertName.isEmpty ? .recording(recordName) : .alerting(alertName)
        def.expr = expr?.string ?? ""
        let exprPos = expr.map(position) ?? "0:0"
        if def.expr.isEmpty {
            errs.append(RuleProblem(position: exprPos, text: "field 'expr' must be set in rule"))
        } else {
            do { _ = try PromQL.parse(def.expr) } catch {
                errs.append(RuleProblem(position: exprPos, text: "could not parse expression: \(error)"))
            }
        }
        if !recordName.isEmpty {
            let p = record.map(position)
            if annotationsNode != nil && !def.annotations.isEmpty { errs.append(RuleProblem(position: p, text: "invalid field 'annotations' in recording rule")) }
            if def.holdDuration != 0 { errs.append(RuleProblem(position: p, text: "invalid field 'for' in recording rule")) }
            if def.keepFiringFor != 0 { errs.append(RuleProblem(position: p, text: "invalid field 'keep_firing_for' in recording rule")) }
            if recordName.unicodeScalars.contains("\u{FFFD}") {
                errs.append(RuleProblem(position: p, text: "invalid recording rule name: \(recordName)"))
            }
            if recordName.contains("{") || recordName.contains("}") {
                errs.append(RuleProblem(position: p, text: "braces present in the recording rule name; should it be in expr?: \(recordName)"))
            }
        }
        for (k, _) in def.labels where !validLabelName(k) || k == "__name__" {
            errs.append(RuleProblem(text: "invalid label name: \(k)"))
        }
        for (k, _) in def.annotations where !validLabelName(k) {
            errs.append(RuleProblem(text: "invalid annotation name: \(k)"))
        }
        if !alertName.isEmpty {
            for (k, v) in def.labels {
                do { try AlertTemplate.validate(alertName: alertName, text: v) } catch {
                    errs.append(RuleProblem(text: "label \(goQuote(k)): \(error)"))
                }
            }
            for (k, v) in def.annotations {
                do { try AlertTemplate.validate(alertName: alertName, text: v) } catch {
                    errs.append(RuleProblem(text: "annotation \(goQuote(k)): \(error)"))
                }
            }
        }
        return (def, errs, unknown)
    }

    struct Problem: Error { let text: String; init(_ t: String) { text = t } }

    static let unknownMark = "\u{1}unknown:"

    /// yaml.v3's complaint about a field the type does not have, marked for `parse`.
    static func unknownField(_ key: Node, _ type: String) -> String {
        "\(unknownMark)line \(key.mark?.line ?? 0): field \(key.string ?? "?") not found in type \(type)"
    }

    /// `line:column` of a node, 1-based as yaml.v3 reports it.
    static func position(_ n: Node) -> String { "\(n.mark?.line ?? 0):\(n.mark?.column ?? 0)" }

    static func isNull(_ n: Node) -> Bool {
        if case .scalar(let s) = n { return s.tag.rawValue == Tag.Name.null.rawValue || s.string.isEmpty || s.string == "~" || s.string == "null" }
        return false
    }

    static func duration(_ n: Node) throws -> Int64 {
        guard let s = n.string else { throw Problem("\(position(n)): duration must be a string") }
        do { return try parseDuration(s) } catch { throw Problem("\(position(n)): \(error)") }
    }

    /// A map of strings in file order.
    static func pairs(_ n: Node) throws -> [(String, String)] {
        if isNull(n) { return [] }
        guard let m = n.mapping else { throw Problem("\(position(n)): must be a map of strings") }
        var out: [(String, String)] = []
        for (k, v) in m {
            guard let ks = k.string, let vs = v.string else { throw Problem("\(position(v)): must be a map of strings") }
            out.append((ks, vs))
        }
        return out
    }

    /// Prometheus 3's UTF-8 name validation: any non-empty valid UTF-8.
    static func validLabelName(_ s: String) -> Bool { !s.isEmpty && !s.unicodeScalars.contains("\u{FFFD}") }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
