import Foundation
import StrataCore
import StrataPromQL
import StrataTestSupport
import Yams

/// What deploy/monitoring uses: the metric names in the rule file's expressions and the
/// dashboards' queries, found by parsing the PromQL (Strata's own parser), and the names
/// the rule file records itself. `unknown(exported:)` is the check that fails a rule or a
/// panel on a metric no binary exports.
struct MonitoringMixin {
    /// Metric name → where it is used (file and rule or panel), for the failure message.
    var used: [String: [String]] = [:]
    /// Names of recording rules: defined by the rule file, not exported by a binary.
    var recorded: Set<String> = []
    /// Alert name → its rule (labels, annotations), for the checks of summaries and runbooks.
    var alerts: [String: [String: Any]] = [:]

    static var directory: String { TestEnv.root + "/deploy/monitoring" }

    /// The mixin as committed: deploy/monitoring/*.yml and dashboards/*.json.
    static func load() throws -> MonitoringMixin {
        var m = MonitoringMixin()
        for f in try files(directory, suffix: ".yml") { try m.addRules(try String(contentsOfFile: f, encoding: .utf8), file: f) }
        for f in try files(directory + "/dashboards", suffix: ".json") { try m.addDashboard(try Data(contentsOf: URL(fileURLWithPath: f)), file: f) }
        return m
    }

    static func files(_ dir: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(suffix) }.sorted().map { dir + "/" + $0 }
    }

    mutating func addRules(_ text: String, file: String) throws {
        guard let doc = try Yams.load(yaml: text) as? [String: Any], let groups = doc["groups"] as? [[String: Any]] else {
            throw MissingComponent(description: "\(file): no rule groups")
        }
        for g in groups {
            for r in g["rules"] as? [[String: Any]] ?? [] {
                let name = (r["record"] ?? r["alert"]) as? String ?? "?"
                if let rec = r["record"] as? String { recorded.insert(rec) }
                if let alert = r["alert"] as? String { alerts[alert] = r }
                try addExpr(r["expr"] as? String ?? "", at: "\(file): \(name)")
            }
        }
    }

    /// Panel targets and the `label_values(metric, label)` queries of template variables.
    mutating func addDashboard(_ data: Data, file: String) throws {
        guard let d = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw MissingComponent(description: "\(file): not JSON") }
        for p in d["panels"] as? [[String: Any]] ?? [] {
            for t in p["targets"] as? [[String: Any]] ?? [] {
                try addExpr(t["expr"] as? String ?? "", at: "\(file): \(p["title"] as? String ?? "?")")
            }
        }
        let vars = (d["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for v in vars {
            guard let q = (v["query"] as? [String: Any])?["query"] as? String else { continue }
            guard q.hasPrefix("label_values("), let comma = q.lastIndex(of: ",") else {
                throw MissingComponent(description: "\(file): variable \(v["name"] ?? "?"): unexpected query \(q)")
            }
            try addExpr(String(q[q.index(q.startIndex, offsetBy: 13)..<comma]), at: "\(file): variable \(v["name"] ?? "?")")
        }
    }

    /// Grafana's variables become values PromQL accepts; every selector's metric name counts.
    mutating func addExpr(_ expr: String, at place: String) throws {
        let promql = expr.replacingOccurrences(of: "$__rate_interval", with: "5m")
            .replacingOccurrences(of: "$job", with: ".*").replacingOccurrences(of: "$instance", with: ".*")
        let parsed: Expr
        do { parsed = try PromQL.parse(promql) } catch { throw MissingComponent(description: "\(place): \(expr): \(error)") }
        for matchers in parsed.selectorMatchers {
            // A selector by labels alone or by a name regex could match anything: not checkable.
            guard let name = matchers.first(where: { $0.name == "__name__" && $0.type == .equal })?.value else {
                throw MissingComponent(description: "\(place): a selector without a plain metric name: \(expr)")
            }
            used[name, default: []].append(place)
        }
    }

    /// Names used that are neither recorded here nor exported, with where they are used.
    func unknown(exported: Set<String>) -> [String: [String]] {
        used.filter { !recorded.contains($0.key) && !exported.contains($0.key) }
    }

    /// Metric names on a /metrics page: families named by `# HELP`/`# TYPE` (a histogram's
    /// `_bucket`, `_sum`, `_count` too) and every sample line's name.
    static func exportedNames(_ page: String) -> Set<String> {
        var out = Set<String>()
        for line in page.split(separator: "\n") {
            let words = line.split(separator: " ")
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE "), words.count >= 3 {
                let name = String(words[2])
                out.insert(name)
                if line.hasPrefix("# TYPE "), words.count >= 4, words[3] == "histogram" || words[3] == "summary" {
                    for s in ["_bucket", "_sum", "_count"] { out.insert(name + s) }
                }
            } else if !line.hasPrefix("#") {
                let name = line.prefix { $0 != "{" && $0 != " " }
                if !name.isEmpty { out.insert(String(name)) }
            }
        }
        return out
    }
}
