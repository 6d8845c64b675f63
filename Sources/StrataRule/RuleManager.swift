import Foundation
import Logging
import StrataCore
import StrataQuery
import StrataStoreAPI

/// The ruler's rule groups: loaded from `--rule-file` globs, each evaluated by its own task,
/// replaced on reload without losing state.
///
/// A reload parses every file first; if any file fails (YAML, validation, a template that
/// does not compile) nothing changes — the running groups go on — and the error names file,
/// line and reason. Otherwise a group whose definition is unchanged keeps running untouched,
/// a changed one is restarted with the old one's alerts and series carried over, and a
/// removed one stops after writing stale markers for its series.
public actor RuleManager: RulesAPI {
    let patterns: [String]
    let env: RuleEnvironment
    var running: [String: (group: RuleGroup, task: Task<Void, Never>)] = [:]
    /// Keys in file order, for the APIs.
    var order: [String] = []
    var loadedOnce = false

    init(patterns: [String], env: RuleEnvironment) {
        self.patterns = patterns
        self.env = env
    }

    /// Every group the rule files define now, or the first file's error.
    public static func parse(patterns: [String]) throws -> [RuleGroupDefinition] {
        var groups: [RuleGroupDefinition] = []
        var errors: [String] = []
        for f in RuleFile.expand(patterns) {
            do { groups += try RuleFile.load(f) } catch { errors.append("\(error)") }
        }
        if !errors.isEmpty { throw RuleFileError(file: "rule files", problems: errors) }
        return groups
    }

    /// Loads (or reloads) the rule files; throws, changing nothing, when any is invalid.
    public func reload() async throws {
        env.metrics.reloads.increment()
        let defs: [RuleGroupDefinition]
        do { defs = try Self.parse(patterns: patterns) } catch {
            env.metrics.reloadFailures.increment()
            env.metrics.reloadSuccessful.record(0)
            throw error
        }
        var next: [String: (group: RuleGroup, task: Task<Void, Never>)] = [:]
        var nextOrder: [String] = []
        for d in defs {
            let key = d.file + ";" + d.name
            nextOrder.append(key)
            if let old = running[key], old.group.definition == d {
                next[key] = old
                continue
            }
            let g = RuleGroup(d, env: env, shouldRestore: !loadedOnce)
            if let old = running[key] {
                old.task.cancel()
                await g.copyState(from: old.group)
            }
            next[key] = (g, Task { await g.run() })
        }
        for (key, old) in running where next[key] == nil {
            old.task.cancel()
            let now = currentTimeMillis()
            Task { await old.group.markStale(at: now) }
        }
        running = next
        order = nextOrder
        loadedOnce = true
        env.metrics.reloadSuccessful.record(1)
        env.metrics.reloadTimestamp.record(Date().timeIntervalSince1970)
        var counts: [String: Int] = [:]
        for d in defs {
            for r in d.rules {
                let kind: String
                if case .alerting = r.kind { kind = "alerting" } else { kind = "recording" }
                counts[d.partialResponseStrategy.rawValue + ";" + kind, default: 0] += 1
            }
        }
        for s in PartialResponseStrategy.allCases {
            for kind in ["alerting", "recording"] {
                env.metrics.loadedRules(strategy: s, kind: kind).record(counts[s.rawValue + ";" + kind] ?? 0)
            }
        }
        env.logger.info("rules loaded", metadata: ["groups": "\(defs.count)", "rules": "\(defs.map(\.rules.count).reduce(0, +))"])
    }

    /// Stops every group.
    public func stop() {
        for (_, r) in running { r.task.cancel() }
    }

    /// Every group's state now, in file order.
    public func snapshot() async -> [Thanos_RuleGroup] {
        var out: [Thanos_RuleGroup] = []
        for key in order {
            if let g = running[key]?.group { out.append(await g.snapshot()) }
        }
        return out
    }

    /// Thanos's Rules API over this ruler's groups.
    public func rules(_ request: Thanos_RulesRequest,
                      onResponse: @escaping @Sendable (Thanos_RulesResponse) async throws -> Void) async throws {
        let filter: RulesFilter
        do { filter = try RulesFilter(request: request) } catch { throw StoreError.invalidArgument("\(error)") }
        for g in filter.apply(await snapshot()) { try await onResponse(.group(g)) }
    }
}
