import Foundation
import Logging
import StrataCore
import StrataTemplate
import StrataTSDB

/// What every group of a ruler shares: how to query, where results go, where alerts go.
struct RuleEnvironment: Sendable {
    var query: @Sendable (_ expr: String, _ at: Int64, _ partialResponse: Bool) async throws -> QueryAnswer
    var head: Head
    /// Alerts due for sending, with the rule's expression (for the generator URL).
    var notify: @Sendable (_ expr: String, _ alerts: [RuleAlert]) -> Void
    /// The last sample at or before `maxTime` (and after `minTime`) of the series with exactly
    /// these labels in the ruler's own data, for restoring `for` state.
    var lastSample: @Sendable (_ labels: Labels, _ minTime: Int64, _ maxTime: Int64) async throws -> (t: Int64, v: Double)?
    var externalLabels: Labels
    var externalURL: String
    var defaultInterval: Int64
    var defaultQueryOffset: Int64 = 0
    var resendDelay: Int64 = 60_000
    var outageTolerance: Int64 = 3_600_000
    var forGracePeriod: Int64 = 600_000
    var metrics = RulerMetrics()
    var logger: Logger
}

/// What the APIs show of one rule.
struct RuleStatus: Sendable {
    var health = "unknown"
    var lastError = ""
    var lastEvaluation: Int64 = 0
    var evaluationSeconds = 0.0
}

/// One rule of a group with its state between evaluations.
struct GroupRule: Sendable {
    var definition: RuleDefinition
    var alerting: AlertingRuleState?
    var status = RuleStatus()
    /// Series written by the last evaluation: those missing from the next get a stale marker.
    var previousSeries: Set<Labels> = []

    init(_ d: RuleDefinition) {
        definition = d
        if case .alerting = d.kind { alerting = AlertingRuleState(definition: d) }
    }
}

/// A rule group: its rules evaluated in order every interval, at timestamps aligned per
/// group as Prometheus aligns them, results appended to the head (stale markers for series
/// that vanished), alerts handed to the notifier. An actor: the evaluation loop changes the
/// state, the APIs read snapshots of it.
actor RuleGroup {
    let definition: RuleGroupDefinition
    let env: RuleEnvironment
    let metrics: GroupMetrics
    var rules: [GroupRule]
    var lastEvaluation: Int64 = 0
    var evaluationSeconds = 0.0
    /// Whether the `for` state of alerts is restored from `ALERTS_FOR_STATE` after the first
    /// evaluation (groups loaded at start; groups added by a reload start fresh).
    var shouldRestore: Bool

    var key: String { definition.file + ";" + definition.name }
    var interval: Int64 { definition.interval ?? env.defaultInterval }
    var queryOffset: Int64 { definition.queryOffset ?? env.defaultQueryOffset }

    init(_ definition: RuleGroupDefinition, env: RuleEnvironment, shouldRestore: Bool) {
        self.definition = definition
        self.env = env
        self.shouldRestore = shouldRestore
        metrics = GroupMetrics(key: definition.file + ";" + definition.name, strategy: definition.partialResponseStrategy)
        rules = definition.rules.map(GroupRule.init)
        for i in rules.indices where !shouldRestore { rules[i].alerting?.restored = true }
        metrics.interval.record(Double(definition.interval ?? env.defaultInterval) / 1000)
        metrics.rules.record(rules.count)
    }

    /// Takes over the state of the group this one replaces on a reload (Prometheus
    /// `Group.CopyState`): per rule of the same kind and name, in order, its alerts, health
    /// and the series it wrote last.
    func copyState(from old: RuleGroup) async {
        var pool = await old.rules
        for i in rules.indices {
            guard let j = pool.firstIndex(where: { $0.definition.kind == rules[i].definition.kind }) else { continue }
            let o = pool.remove(at: j)
            rules[i].status = o.status
            rules[i].previousSeries = o.previousSeries
            if var a = o.alerting, rules[i].alerting != nil {
                a = AlertingRuleState(definition: rules[i].definition, carrying: a)
                rules[i].alerting = a
            }
        }
        lastEvaluation = await old.lastEvaluation
        evaluationSeconds = await old.evaluationSeconds
    }

    /// Prometheus `Group.EvalTimestamp`: the latest evaluation time at or before `now`.
    func evalTimestamp(_ now: Int64) -> Int64 {
        let iv = interval
        let offset = Int64((Labels(["name": definition.name, "file": definition.file]).prometheusHash % UInt64(iv * 1_000_000)) / 1_000_000)
        let adj = now - offset
        return adj - ((adj % iv) + iv) % iv + offset
    }

    /// Evaluates until cancelled.
    func run() async {
        var ts = evalTimestamp(currentTimeMillis()) + interval
        do {
            try await Task.sleep(for: .milliseconds(max(0, ts - currentTimeMillis())))
            await evaluate(at: ts)
            if shouldRestore {
                await restoreForState(at: currentTimeMillis())
                shouldRestore = false
            }
            while !Task.isCancelled {
                let next = ts + interval
                try await Task.sleep(for: .milliseconds(max(0, next - currentTimeMillis())))
                let missed = (currentTimeMillis() - ts) / interval - 1
                if missed > 0 { metrics.missed.increment(by: Int(missed)) }
                ts += interval * max(1, missed + 1)
                await evaluate(at: ts)
            }
        } catch {}
    }

    /// One evaluation of every rule at `ts` (Prometheus `Group.Eval`).
    func evaluate(at evalTime: Int64) async {
        let start = ContinuousClock.now
        let ts = evalTime - queryOffset
        metrics.iterations.increment()
        var samplesTotal = 0
        var batch = GroupBatch(appender: env.head.appender())
        for i in rules.indices {
            let ruleStart = ContinuousClock.now
            metrics.evaluations.increment()
            let written: [RuleSample]
            do {
                written = try await evaluateRule(i, at: ts)
                rules[i].status.health = "ok"
                rules[i].status.lastError = ""
            } catch {
                metrics.failures.increment()
                rules[i].status.health = "err"
                rules[i].status.lastError = "\(error)"
                env.logger.warning("rule evaluation failed", metadata: ["group": "\(definition.name)", "rule": "\(rules[i].definition.name)", "err": "\(error)"])
                finishRule(i, ruleStart, evalTime)
                continue
            }
            samplesTotal += written.count
            add(rule: i, written, at: ts, to: &batch)
            if rules[i].alerting != nil {
                let alerts = rules[i].alerting!.alertsToSend(at: ts, resendDelay: env.resendDelay, interval: interval)
                if !alerts.isEmpty { env.notify(rules[i].definition.expr, alerts) }
            }
            finishRule(i, ruleStart, evalTime)
        }
        commit(batch)
        let took = ContinuousClock.now - start
        evaluationSeconds = Self.seconds(took)
        lastEvaluation = evalTime
        metrics.groupDuration.recordNanoseconds(Int64(evaluationSeconds * 1e9))
        metrics.lastDuration.record(evaluationSeconds)
        metrics.lastEvaluation.record(Double(evalTime) / 1000)
        metrics.lastSamples.record(samplesTotal)
    }

    func finishRule(_ i: Int, _ start: ContinuousClock.Instant, _ evalTime: Int64) {
        let took = ContinuousClock.now - start
        rules[i].status.evaluationSeconds = Self.seconds(took)
        rules[i].status.lastEvaluation = evalTime
        metrics.evaluationDuration.recordNanoseconds(Int64(rules[i].status.evaluationSeconds * 1e9))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The samples the rule writes at `ts`.
    func evaluateRule(_ i: Int, at ts: Int64) async throws -> [RuleSample] {
        let def = rules[i].definition
        let answer = try await env.query(def.expr, ts, definition.partialResponseStrategy == .warn)
        if !answer.warnings.isEmpty {
            metrics.warnings.increment()
            env.logger.warning("rule evaluation with warnings", metadata: ["group": "\(definition.name)", "rule": "\(def.name)",
                                                                          "warnings": "\(answer.warnings.joined(separator: "; "))"])
        }
        switch def.kind {
        case .recording(let name):
            return try RecordingRule.samples(answer.samples, name: name, labels: definition.labels + def.labels, limit: definition.limit)
        case .alerting:
            let env = self.env
            let context = TemplateContext(query: { q in
                try await env.query(q, ts, true).samples.map { s in
                    TemplateSample(labels: Dictionary(s.labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), value: s.value)
                }
            }, externalURL: env.externalURL, pathPrefix: "", timestamp: Double(ts) / 1000)
            let inputs = AlertingRuleState.TemplateInputs(
                externalLabels: Dictionary(env.externalLabels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                externalURL: env.externalURL, context: context)
            var state = rules[i].alerting!
            defer { rules[i].alerting = state }
            return try await state.evaluate(answer.samples, at: ts, limit: definition.limit, groupLabels: definition.labels, templates: inputs)
        }
    }

    /// One evaluation's samples, committed to the head together: the WAL gets one record
    /// batch (and one fsync) per group evaluation, not one per rule.
    struct GroupBatch {
        let appender: HeadAppender
        /// Per rule that wrote: the series it wrote this time.
        var series: [(rule: Int, labels: Set<Labels>)] = []
        var failed: (rule: Int, error: any Error)?
    }

    /// Adds a rule's samples and stale markers for the series it no longer writes.
    func add(rule i: Int, _ samples: [RuleSample], at ts: Int64, to batch: inout GroupBatch) {
        var now: Set<Labels> = []
        do {
            for s in samples {
                now.insert(s.labels)
                if let h = s.histogram {
                    _ = try batch.appender.append(s.labels, ts, floatHistogram: h)
                } else {
                    _ = try batch.appender.append(s.labels, ts, s.value)
                }
            }
            let stale = Double(bitPattern: staleNaNBits)
            for l in rules[i].previousSeries where !now.contains(l) { _ = try batch.appender.append(l, ts, stale) }
            batch.series.append((i, now))
        } catch {
            // A sample the appender refuses outright (e.g. invalid labels) fails only this rule.
            rules[i].status.health = "err"
            rules[i].status.lastError = "appending the results: \(error)"
        }
    }

    /// Commits the group's samples. A sample the head refuses (out of order, duplicate with
    /// another value) is counted and logged, the others are kept; a commit that fails (the
    /// WAL cannot be written) fails every rule that wrote, and nothing of it is applied.
    func commit(_ batch: GroupBatch) {
        guard !batch.series.isEmpty else { return }
        do {
            let r = try batch.appender.commit()
            if r.rejectedTotal > 0 {
                env.metrics.rejectedSamples.increment(by: r.rejectedTotal)
                env.logger.warning("samples refused by the head", metadata: ["group": "\(definition.name)", "rejected": "\(r.rejected)"])
            }
            for (i, labels) in batch.series { rules[i].previousSeries = labels }
        } catch {
            batch.appender.rollback()
            env.metrics.appendFailures.increment()
            for (i, _) in batch.series {
                rules[i].status.health = "err"
                rules[i].status.lastError = "appending the results: \(error)"
            }
            env.logger.error("cannot append rule results", metadata: ["group": "\(definition.name)", "err": "\(error)"])
        }
    }

    /// Stale markers for every series the group wrote (the group was removed by a reload).
    func markStale(at ts: Int64) {
        var batch = GroupBatch(appender: env.head.appender())
        for i in rules.indices { add(rule: i, [], at: ts, to: &batch) }
        commit(batch)
    }

    /// Prometheus `Group.RestoreForState`: an alert's `activeAt` comes back from the last
    /// `ALERTS_FOR_STATE` sample within `--for-outage-tolerance`, shifted by the time the
    /// ruler was down unless the alert had already fired; one about to fire gets at least
    /// `--for-grace-period`.
    func restoreForState(at ts: Int64) async {
        let mint = ts - env.outageTolerance
        for i in rules.indices {
            guard var state = rules[i].alerting else { continue }
            defer { state.restored = true; rules[i].alerting = state }
            let hold = state.definition.holdDuration
            guard hold > 0 else { continue }
            for key in state.active.keys {
                guard var a = state.active[key] else { continue }
                let series = a.labels.merging(Labels([Label("__name__", "ALERTS_FOR_STATE")]), overwrite: true)
                let last: (t: Int64, v: Double)?
                do { last = try await env.lastSample(series, mint, ts) } catch {
                    env.logger.error("cannot restore alert state", metadata: ["alert": "\(state.name)", "err": "\(error)"])
                    continue
                }
                guard let last else { continue }
                let downAt = last.t / 1000 * 1000
                var activeAt = Int64(last.v) * 1000
                let remaining = hold - (downAt - activeAt)
                if remaining <= 0 {
                } else if remaining < env.forGracePeriod {
                    activeAt = ts + env.forGracePeriod - hold
                } else {
                    activeAt += ts - downAt
                }
                a.activeAt = activeAt
                state.active[key] = a
                env.logger.info("restored alert state", metadata: ["alert": "\(state.name)", "labels": "\(a.labels)", "activeAt": "\(activeAt)"])
            }
        }
    }
}

/// Recording rules (Prometheus `RecordingRule.Eval`): the query's samples renamed, labelled.
enum RecordingRule {
    static func samples(_ input: [RuleSample], name: String, labels: [(String, String)], limit: Int) throws -> [RuleSample] {
        var out: [RuleSample] = []
        var seen: Set<Labels> = []
        let extra = Labels(labels.filter { !$0.1.isEmpty }.map { Label($0.0, $0.1) } + [Label("__name__", name)])
        let drop = Set(labels.filter { $0.1.isEmpty }.map(\.0))
        for s in input {
            let l = s.labels.removing(drop).merging(extra, overwrite: true)
            guard seen.insert(l).inserted else {
                throw RuleEvaluationError.duplicateLabels("vector contains metrics with the same labelset after applying rule labels")
            }
            out.append(RuleSample(labels: l, value: s.value, histogram: s.histogram))
        }
        if limit > 0 && out.count > limit {
            throw RuleEvaluationError.limit("exceeded limit \(limit) with \(out.count) series")
        }
        return out
    }
}
