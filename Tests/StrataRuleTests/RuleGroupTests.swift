import Foundation
import Logging
import StrataCore
import StrataPromQL
import StrataQuery
import StrataStore
import StrataTestSupport
import StrataTSDB
import Synchronization
import Testing
@testable import StrataRule

/// Rule evaluation against a scripted query answer and a real head: Prometheus's alert
/// state machine, ALERTS series, stale markers, notifications and `for` state restore.
@Suite struct RuleGroupTests {
    final class Script: Sendable {
        let answer = Mutex<[RuleSample]>([])
        let warnings = Mutex<[String]>([])
        let partial = Mutex<[Bool]>([])
        let sent = Mutex<[RuleAlert]>([])
        func set(_ s: [RuleSample]) { answer.withLock { $0 = s } }
    }

    static func sample(_ labels: [String: String], _ v: Double) -> RuleSample { RuleSample(labels: Labels(labels), value: v) }

    func environment(_ head: Head, _ script: Script) -> RuleEnvironment {
        let store = TSDBStore(head: head, externalLabels: Labels(["replica": "r1"]), component: "rule")
        let local = StoreQueryable.local(store)
        return RuleEnvironment(
            query: { _, _, partial in
                script.partial.withLock { $0.append(partial) }
                return QueryAnswer(samples: script.answer.withLock { $0 }, warnings: script.warnings.withLock { $0 })
            },
            head: head,
            notify: { _, alerts in script.sent.withLock { $0 += alerts } },
            lastSample: { labels, mint, maxt in
                let ms = try labels.pairs.map { try Matcher(.equal, $0.name, $0.value) }
                guard let s = try await local.select(matchers: ms, hints: SelectHints(start: mint, end: maxt)).first?.samples else { return nil }
                let i = s.firstIndex(atOrAfter: maxt + 1)
                return i > 0 ? (s.timestamps[i - 1], s.values[i - 1]) : nil
            },
            externalLabels: Labels(["replica": "r1"]), externalURL: "http://query.example",
            defaultInterval: 1000, resendDelay: 1000, logger: Logger(label: "test"))
    }

    func group(_ yaml: String, _ env: RuleEnvironment, restore: Bool = false) throws -> RuleGroup {
        RuleGroup(try RuleFile.parse(yaml, file: "t.yml")[0], env: env, shouldRestore: restore)
    }

    /// The samples of `name` in the head as (t, value) pairs, stale markers as NaN.
    func read(_ head: Head, _ name: String) throws -> [Labels: [(Int64, Double)]] {
        var out: [Labels: [(Int64, Double)]] = [:]
        for (labels, chunks) in head.series(matching: [try Matcher(.equal, "__name__", name)]) {
            for c in chunks {
                c.data.withUnsafeBytes { raw in
                    var it = XORIterator(raw)
                    while it.next() { out[labels, default: []].append((it.t, it.v)) }
                }
            }
        }
        return out
    }

    static let alertRule = """
    groups:
      - name: g
        rules:
          - alert: Down
            expr: up == 0
            for: 2s
            labels:
              severity: page
            annotations:
              summary: '{{ $labels.instance }} is down, value {{ $value }}'
    """

    @Test func alertGoesPendingFiringResolvedWithALERTSSeries() async throws {
        let head = try Head.open(dir: TestEnv.tempDir("rule-head"))
        let script = Script()
        let g = try group(Self.alertRule, environment(head, script))
        script.set([Self.sample(["__name__": "up", "instance": "a:1", "job": "j"], 0)])
        await g.evaluate(at: 10_000)
        var snap = await g.snapshot()
        #expect(snap.rules[0].alert.alerts.count == 1)
        #expect(snap.rules[0].alert.alerts[0].state == .pending)
        #expect(script.sent.withLock { $0.isEmpty }, "pending alerts are not sent")
        await g.evaluate(at: 11_000)
        await g.evaluate(at: 12_000)
        snap = await g.snapshot()
        let a = snap.rules[0].alert.alerts[0]
        #expect(a.state == .firing)
        #expect(Labels(proto: a.labels.labels) == Labels(["alertname": "Down", "instance": "a:1", "job": "j", "severity": "page"]))
        #expect(Labels(proto: a.annotations.labels)["summary"] == "a:1 is down, value 0")
        #expect(a.activeAt.seconds == 10)
        let sent = script.sent.withLock { $0 }
        #expect(sent.count == 1 && sent[0].state == .firing && sent[0].firedAt == 12_000 && sent[0].validUntil == 12_000 + 4_000)

        // The condition ends: resolved, sent once more as resolved, then kept 15 minutes.
        script.set([])
        await g.evaluate(at: 13_000)
        snap = await g.snapshot()
        #expect(snap.rules[0].alert.alerts.isEmpty, "resolved alerts are not listed")
        let resolved = script.sent.withLock { $0 }.last!
        #expect(resolved.state == .inactive && resolved.resolvedAt == 13_000)

        let alerts = try read(head, "ALERTS")
        let pendingKey = Labels(["__name__": "ALERTS", "alertname": "Down", "alertstate": "pending", "instance": "a:1", "job": "j", "severity": "page"])
        let firingKey = pendingKey.merging(Labels(["alertstate": "firing"]), overwrite: true)
        #expect(alerts[pendingKey]?.map(\.0) == [10_000, 11_000, 12_000])
        #expect(alerts[pendingKey]?.last?.1.isNaN == true, "pending series ends with a stale marker")
        #expect(alerts[firingKey]?.map(\.0) == [12_000, 13_000])
        #expect(alerts[firingKey]?.last.map { $0.1.bitPattern == StrataTSDB.staleNaNBits } == true)
        let forState = try read(head, "ALERTS_FOR_STATE")
        #expect(forState.values.first?.prefix(3).map(\.1) == [10, 10, 10])
    }

    @Test func keepFiringForHoldsAnAlertAfterTheConditionEnds() async throws {
        let head = try Head.open(dir: TestEnv.tempDir("rule-head"))
        let script = Script()
        let yaml = Self.alertRule.replacingOccurrences(of: "for: 2s", with: "for: 0s\n        keep_firing_for: 2s")
        let g = try group(yaml, environment(head, script))
        script.set([Self.sample(["instance": "a"], 1)])
        await g.evaluate(at: 1_000)
        #expect(await g.snapshot().rules[0].alert.alerts.first?.state == .firing)
        script.set([])
        await g.evaluate(at: 2_000)
        await g.evaluate(at: 3_000)
        #expect(await g.snapshot().rules[0].alert.alerts.first?.state == .firing, "kept firing for 2s")
        await g.evaluate(at: 4_000)
        #expect(await g.snapshot().rules[0].alert.alerts.isEmpty)
    }

    @Test func limitsDuplicatesAndStrategies() async throws {
        let head = try Head.open(dir: TestEnv.tempDir("rule-head"))
        let script = Script()
        let yaml = """
        groups:
          - name: g
            limit: 1
            partial_response_strategy: abort
            rules:
              - record: r
                expr: x
                labels:
                  job: fixed
        """
        let g = try group(yaml, environment(head, script))
        script.set([Self.sample(["__name__": "x", "job": "a"], 1), Self.sample(["__name__": "x", "job": "b"], 2)])
        await g.evaluate(at: 1_000)
        var rule = await g.snapshot().rules[0].recording
        #expect(rule.health == "err" && rule.lastError == "vector contains metrics with the same labelset after applying rule labels")
        script.set([Self.sample(["__name__": "x", "job": "a", "i": "1"], 1), Self.sample(["__name__": "x", "job": "a", "i": "2"], 2)])
        await g.evaluate(at: 2_000)
        rule = await g.snapshot().rules[0].recording
        #expect(rule.lastError == "exceeded limit 1 with 2 series")
        script.set([Self.sample(["__name__": "x", "job": "a"], 5)])
        script.warnings.withLock { $0 = ["store down"] }
        await g.evaluate(at: 3_000)
        rule = await g.snapshot().rules[0].recording
        #expect(rule.health == "ok" && rule.lastError.isEmpty)
        #expect(try read(head, "r")[Labels(["__name__": "r", "job": "fixed"])]?.map(\.1) == [5])
        #expect(script.partial.withLock { $0 } == [false, false, false], "abort: partial_response=false")
    }

    @Test func recordingRuleWritesStaleMarkersForVanishedSeries() async throws {
        let head = try Head.open(dir: TestEnv.tempDir("rule-head"))
        let script = Script()
        let g = try group("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n", environment(head, script))
        script.set([Self.sample(["__name__": "x", "i": "1"], 1), Self.sample(["__name__": "x", "i": "2"], 2)])
        await g.evaluate(at: 1_000)
        script.set([Self.sample(["__name__": "x", "i": "1"], 3)])
        await g.evaluate(at: 2_000)
        let r = try read(head, "r")
        #expect(r[Labels(["__name__": "r", "i": "1"])]?.map(\.1) == [1, 3])
        let gone = r[Labels(["__name__": "r", "i": "2"])] ?? []
        #expect(gone.count == 2 && gone[1].0 == 2_000 && gone[1].1.bitPattern == StrataTSDB.staleNaNBits)
        #expect(script.partial.withLock { $0 } == [true, true], "warn (default): partial_response=true")
    }

    /// A restarted ruler restores `activeAt` from ALERTS_FOR_STATE: unchanged for an alert that
    /// had fired, shifted by the downtime for one still pending.
    @Test func restoresForStateFromALERTS_FOR_STATE() async throws {
        let dir = TestEnv.tempDir("rule-head")
        let script = Script()
        script.set([Self.sample(["instance": "a"], 0)])
        do {
            let head = try Head.open(dir: dir)
            let g = try group(Self.alertRule, environment(head, script))
            for t in stride(from: Int64(100_000), through: 104_000, by: 1_000) { await g.evaluate(at: t) }
            #expect(await g.snapshot().rules[0].alert.alerts.first?.state == .firing)
            try head.close()
        }
        let head = try Head.open(dir: dir)
        let g = try group(Self.alertRule, environment(head, script), restore: true)
        await g.evaluate(at: 200_000)
        #expect(await g.snapshot().rules[0].alert.alerts.first?.activeAt.seconds == 200)
        await g.restoreForState(at: 200_500)
        #expect(await g.snapshot().rules[0].alert.alerts.first?.activeAt.seconds == 100, "fired before the restart: activeAt kept")
        await g.evaluate(at: 201_000)
        #expect(await g.snapshot().rules[0].alert.alerts.first?.state == .firing)

        // Pending for 1s of its 2s when the ruler went down (for 90s, inside the grace period
        // of 10m): it fires no sooner than the grace period after the restart.
        let dir2 = TestEnv.tempDir("rule-head")
        do {
            let head = try Head.open(dir: dir2)
            let g = try group(Self.alertRule.replacingOccurrences(of: "for: 2s", with: "for: 20m"), environment(head, script))
            for t in stride(from: Int64(100_000), through: 101_000, by: 1_000) { await g.evaluate(at: t) }
            try head.close()
        }
        let head2 = try Head.open(dir: dir2)
        let g2 = try group(Self.alertRule.replacingOccurrences(of: "for: 2s", with: "for: 20m"), environment(head2, script), restore: true)
        await g2.evaluate(at: 191_000)
        await g2.restoreForState(at: 191_000)
        // 20m hold, 1s spent: 1199s remain, more than the 600s grace: shifted by the 90s down.
        #expect(await g2.snapshot().rules[0].alert.alerts.first?.activeAt.seconds == 100 + 90)
    }
}
