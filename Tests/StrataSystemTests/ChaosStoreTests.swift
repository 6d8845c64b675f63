import Foundation
import StrataBucket
import StrataTestSupport
import Testing

/// The real `strata-store` reading moto through a proxy that fails 10% of requests with 500
/// and loses 3% of answers after forwarding, with `strata-query` in front. Reference answers
/// are taken with the faults off; with them on, every answer must equal its reference or be a
/// partial response carrying a warning; neither process may crash or leak file descriptors
/// (`/proc/<pid>/fd`); the store, `kill -9`ed in the middle of the sequence and restarted on
/// its data dir, must serve again (the querier answering exactly) within the time a cold start
/// (empty data dir, same faults) took. Short by default
/// (`CHAOS_TRIALS` queries); the soak is scripts/chaos-store.sh.
@Suite(.serialized) struct ChaosStoreTests {
    static let queries = ["sum by (instance) (chaos_gauge)", "count_over_time(chaos_requests_total[1h])", "max(chaos_gauge) - min(chaos_gauge)"]
    /// Descriptors a process may gain over the sequence (connection pools settle at a few).
    static let fdSlack = 16
    /// Noise allowed on top of the cold start: a 2-core machine runs moto, the proxy and both
    /// services, and the querier reconnects on a gRPC backoff (50 ms growing to 5 s).
    static let restartSlack = 3.0

    struct Tally {
        var queries = 0, equal = 0, partial = 0, duringRestart = 0, wrong = 0, crashes = 0, fdLeaks = 0, slowRestarts = 0
        var problems: [String] = []
        var partialExample = ""
        var violations: Int { wrong + crashes + fdLeaks + slowRestarts }
    }

    @Test(.timeLimit(.minutes(600))) func storeAndQuerierAnswerThroughFaults() async throws {
        let settings = ChaosSettings.fromEnvironment(defaultTrials: 30)
        guard let promtool = try TestEnv.promtool() else { return }
        let f = settings.faults
        let plan = FaultPlan(rates: FaultRates(error500: f, dropAfter: f * 0.3), seed: settings.seed)
        plan.setEnabled(false)
        guard let s3 = try await ChaosS3.start(plan: plan) else { return }
        var tally = Tally()
        var procs: [ChaosProcess] = []
        var coldStart = 0.0, restart = 0.0
        var fds: [String] = []
        do {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let from = (now - 30 * ChaosSeries.hour) / (2 * ChaosSeries.hour) * (2 * ChaosSeries.hour)
            let data = ChaosSeries.make(instances: ["i0", "i1", "i2", "i3"], fromMs: from, toMs: from + 12 * ChaosSeries.hour)
            for dir in try ChaosSeries.blocks(promtool, data.openMetrics, tag: "store") {
                _ = try await BlockUploader(bucket: s3.direct).upload(blockDir: dir, externalLabels: ["cluster": "c1"], source: "sidecar")
            }
            let storeData = TestEnv.tempDir("chaos-store")
            let storeGRPC = "127.0.0.1:\(try freePort())", storeHTTP = try freePort(), queryHTTP = try freePort()
            func startStore() throws -> ChaosProcess {
                let p = try ChaosProcess("strata-store", [s3.objstoreFlag, "--data-dir", storeData, "--grpc-address", storeGRPC,
                                                          "--http-address", "127.0.0.1:\(storeHTTP)", "--sync-block-duration", "3s"])
                procs.append(p)
                return p
            }
            let query = try ChaosProcess("strata-query", ["--endpoint", storeGRPC, "--http-address", "127.0.0.1:\(queryHTTP)",
                                                          "--grpc-address", "127.0.0.1:\(try freePort())", "--store.sd-interval", "1s"])
            procs.append(query)
            let base = "http://127.0.0.1:\(queryHTTP)/api/v1/query_range?start=\(from / 1000)&end=\((from + 12 * ChaosSeries.hour) / 1000)&step=600&query="
            // Reference answers with the faults off.
            var store = try startStore()
            var reference: [String] = []
            let up = await waitForAsync(60) {
                reference = await Self.ask(base).map { PromQLDifferential.canonical($0, ordered: false) }
                return reference.allSatisfy { $0.hasPrefix("matrix:") && $0.count > 200 }
            }
            guard up else { throw MissingComponent(description: "no reference answers: \(reference.map { $0.prefix(200) }) \(query.logText.suffix(1500))") }

            // The cold start under faults: an empty data dir, until the querier answers exactly.
            store.killIfRunning()
            try FileManager.default.removeItem(atPath: storeData)
            plan.setEnabled(true)
            store = try startStore()
            let served = await waitForAsync(120) { await Self.ask(base).map { PromQLDifferential.canonical($0, ordered: false) } == reference }
            coldStart = Date().timeIntervalSince(store.started)
            guard served else { throw MissingComponent(description: "the store never served exactly after its cold start: \(store.logText.suffix(1500))") }

            let queryFDs = Self.fdCount(query.pid)
            var storeFDs = Self.fdCount(store.pid)
            let restartAt = settings.trials / 2
            var restartedAt: Date?
            var restarted = false
            for i in 0..<settings.trials {
                if i == restartAt {
                    let before = Self.fdCount(store.pid)
                    if before > storeFDs + Self.fdSlack { tally.fdLeaks += 1; tally.problems.append("store fds \(storeFDs) → \(before) before its restart") }
                    fds.append("store \(storeFDs)→\(before)")
                    store.killIfRunning()
                    store = try startStore()
                    restartedAt = store.started
                }
                let q = Self.queries[i % Self.queries.count]
                let answer = (try? await PromQLDifferential.get(base + PromQLDifferential.encode(q))) ?? "no answer"
                tally.queries += 1
                let ok = PromQLDifferential.canonical(answer, ordered: false) == reference[i % Self.queries.count]
                if ok, let t = restartedAt, !restarted {
                    restart = Date().timeIntervalSince(t)
                    restarted = true
                    storeFDs = Self.fdCount(store.pid)
                }
                if ok { tally.equal += 1 } else if answer.contains("\"warnings\"") {
                    tally.partial += 1
                    if tally.partialExample.isEmpty { tally.partialExample = "query \(i): " + Self.warnings(answer) }
                } else if restartedAt != nil && !restarted {
                    tally.duringRestart += 1
                } else {
                    tally.wrong += 1
                    tally.problems.append("query \(i) \(q): \(answer.prefix(300))")
                }
                for p in [store, query] where !p.process.isRunning {
                    tally.crashes += 1
                    tally.problems.append("\(p.process.executableURL!.lastPathComponent) exited: \(p.logText.suffix(1500))")
                }
                if tally.crashes > 0 { break }
            }
            if let t = restartedAt, !restarted {
                restarted = await waitForAsync(max(1, coldStart + 10 - Date().timeIntervalSince(t))) {
                    await Self.ask(base).map { PromQLDifferential.canonical($0, ordered: false) } == reference
                }
                restart = Date().timeIntervalSince(t)
                storeFDs = Self.fdCount(store.pid)
            }
            if !restarted || restart > coldStart + Self.restartSlack {
                tally.slowRestarts += 1
                tally.problems.append("the restarted store served exactly again after \(restart) s (served: \(restarted)), its cold start took \(coldStart) s")
            }
            plan.setEnabled(false)
            try await Task.sleep(for: .seconds(2))
            let qEnd = Self.fdCount(query.pid), sEnd = Self.fdCount(store.pid)
            fds += ["restarted store \(storeFDs)→\(sEnd)", "query \(queryFDs)→\(qEnd)"]
            if sEnd > storeFDs + Self.fdSlack || qEnd > queryFDs + Self.fdSlack {
                tally.fdLeaks += 1
                tally.problems.append("file descriptors grew: \(fds)")
            }
        } catch {
            tally.problems.append("harness error: \(error)")
        }
        for p in procs { p.killIfRunning() }
        let stats = s3.proxy.snapshot
        await s3.stop()
        let pct = (settings.faults * 1000).rounded() / 10
        settings.report("chaos-store: \(tally.queries) queries, \(pct)% S3 500s + \((settings.faults * 300).rounded() / 10)% answers lost "
            + "(\(stats.faulted) of \(stats.requests) requests, seed \(settings.seed)): \(tally.equal) exact, \(tally.partial) partial with a warning, "
            + "\(tally.duringRestart) during the restart, \(tally.wrong) wrong, \(tally.crashes) crashes, fds \(fds.joined(separator: ", ")), "
            + "cold start \(String(format: "%.1f", coldStart)) s, restart served after \(String(format: "%.1f", restart)) s"
            + (tally.partialExample.isEmpty ? "" : "; first warning: \(tally.partialExample)"))
        #expect(tally.violations == 0 && tally.problems.isEmpty, "\(tally.problems.prefix(20).joined(separator: "\n"))")
        #expect(stats.faulted > 0 || settings.faults == 0)
    }

    static func ask(_ base: String) async -> [String] {
        var out: [String] = []
        for q in queries { out.append((try? await PromQLDifferential.get(base + PromQLDifferential.encode(q))) ?? "") }
        return out
    }

    /// The `warnings` of an API answer, joined.
    static func warnings(_ json: String) -> String {
        guard let o = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        return (o["warnings"] as? [String] ?? []).joined(separator: "; ")
    }

    static func fdCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}
