import Foundation
import StrataRule
import StrataTestSupport
import Testing

@Suite struct RuleFileTests {
    static let valid = """
    groups:
      - name: cluster
        interval: 30s
        query_offset: 10s
        limit: 100
        partial_response_strategy: abort
        rules:
          - record: cluster:requests:rate5m
            expr: sum(rate(prometheus_http_requests_total[5m]))
            labels:
              team: infra
          - alert: TargetDown
            expr: up == 0
            for: 2m
            keep_firing_for: 1m
            labels:
              severity: page
              instance_copy: '{{ $labels.instance }}'
            annotations:
              summary: '{{ $labels.instance }} of {{ $labels.job }} is down ({{ $value | humanize }})'
      - name: second
        rules:
          - record: x:y
            expr: vector(1)
    """

    func write(_ text: String) throws -> String {
        let path = TestEnv.tempDir("rules") + "/rules.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func parsesPrometheusFormatWithThanosStrategy() throws {
        let groups = try RuleFile.parse(Self.valid, file: "r.yml")
        #expect(groups.count == 2)
        let g = groups[0]
        #expect(g.name == "cluster" && g.interval == 30_000 && g.queryOffset == 10_000 && g.limit == 100)
        #expect(g.partialResponseStrategy == .abort && groups[1].partialResponseStrategy == .warn && groups[1].interval == nil)
        #expect(g.rules.count == 2)
        #expect(g.rules[0].kind == .recording("cluster:requests:rate5m"))
        #expect(g.rules[0].labels.map(\.0) == ["team"])
        #expect(g.rules[1].kind == .alerting("TargetDown"))
        #expect(g.rules[1].holdDuration == 120_000 && g.rules[1].keepFiringFor == 60_000)
        #expect(g.rules[1].annotations.first?.0 == "summary")
    }

    /// Each broken file is refused with the file, the line and column, the group, the rule
    /// and the reason, as promtool words it; promtool 2.42 refuses the same files.
    @Test(arguments: [
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: sum(\n", "5:15: group \"g\", rule 1, \"a\": could not parse expression: 1:5: parse error: unclosed left parenthesis"),
        ("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          s: '{{ nosuchfunc }}'\n",
         "group \"g\", rule 1, \"A\": annotation \"s\": "),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n        expr: up\n", "only one of 'record' and 'alert' must be set"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        for: 1m\n", "invalid field 'for' in recording rule"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n  - name: g\n    rules: []\n", "groupname: \"g\" is repeated in the same file"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        unknown: 1\n", "yaml: unmarshal errors:\n  line 6: field unknown not found in type rulefmt.RuleNode"),
        ("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          s: '{{ if }}'\n", "label \"s\": "),
    ])
    func refusesBrokenFilesLikePromtool(_ text: String, _ reason: String) throws {
        let path = try write(text)
        do {
            _ = try RuleFile.load(path)
            Issue.record("accepted a broken rule file")
        } catch let e as RuleFileError {
            #expect(e.description.hasPrefix(path + ": "), "\(e)")
            #expect(e.description.contains(reason), "\(e)")
        }
        guard let promtool = try TestEnv.promtool() else { return }
        let r = try TestEnv.run(promtool, ["check", "rules", path])
        #expect(r.status != 0, "promtool accepted: \(r.stdout)")
        // `strata rule check` answers byte for byte as promtool does.
        let ours = try TestEnv.run(TestEnv.strataBinary, ["rule", "check", path])
        #expect(ours.status == 1)
        #expect(ours.stdout == r.stdout && ours.stderr == r.stderr, "ours:\n\(ours.stderr)promtool:\n\(r.stderr)")
    }

    @Test func checkCommandCountsRulesAsPromtool() throws {
        // Without Thanos's extension field and 2.53's query_offset, which promtool 2.42 does not know.
        let path = try write(Self.valid.replacingOccurrences(of: "    partial_response_strategy: abort\n", with: "")
            .replacingOccurrences(of: "    query_offset: 10s\n", with: ""))
        let ours = try TestEnv.run(TestEnv.strataBinary, ["rule", "check", path])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == "Checking \(path)\n  SUCCESS: 3 rules found\n\n")
        guard let promtool = try TestEnv.promtool() else { return }
        let theirs = try TestEnv.run(promtool, ["check", "rules", path])
        #expect(theirs.status == 0 && theirs.stdout == ours.stdout, "\(theirs.stdout)\(theirs.stderr)")
    }

    @Test func globsSkipDirectoriesAndKeepOrder() throws {
        let dir = TestEnv.tempDir("rules")
        try FileManager.default.createDirectory(atPath: dir + "/sub.yml", withIntermediateDirectories: true)
        for n in ["b.yml", "a.yml"] { try "groups: []\n".write(toFile: dir + "/" + n, atomically: true, encoding: .utf8) }
        #expect(RuleFile.expand([dir + "/*.yml", dir + "/a.yml"]) == [dir + "/a.yml", dir + "/b.yml"])
    }
}
