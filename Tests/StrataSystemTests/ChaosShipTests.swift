import Foundation
import StrataTestSupport
import Testing

/// `kill -9` of the real `strata-sidecar` while it ships blocks of a real Prometheus to moto
/// through a faulty proxy, with new blocks appearing in the Prometheus data directory (moved
/// in atomically, as Prometheus does) between and during the runs. After every kill: no
/// block is in the bucket with different samples than Prometheus wrote. At the end one
/// sidecar runs undisturbed (faults still on) and must ship everything: every sample
/// exactly once in the bucket, no partial block left, the shipper file listing every block.
/// Short by default; the soak is scripts/chaos-ship.sh.
@Suite(.serialized) struct ChaosShipTests {
    struct Tally {
        var trials = 0, kills = 0, partialAfterKill = 0, lost = 0, duplicated = 0, partials = 0, missing = 0, crashes = 0
        var problems: [String] = []
        var violations: Int { lost + duplicated + partials + missing + crashes }
    }

    @Test(.timeLimit(.minutes(600))) func shipperSurvivesKillsAndFaults() async throws {
        let settings = ChaosSettings.fromEnvironment(defaultTrials: 12)
        guard let promtool = try TestEnv.promtool() else { return }
        let plan = FaultPlan(rates: .mix(settings.faults), seed: settings.seed)
        guard let s3 = try await ChaosS3.start(plan: plan) else { return }
        var tally = Tally()
        var prom: PrometheusServer?
        do {
            // 2h blocks over the last 2 days + the hours a soak adds (one block per trial after the first 4).
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let hours = Int64(max(8, settings.trials + 4) * 2)
            let from = (now - (hours + 4) * ChaosSeries.hour) / (2 * ChaosSeries.hour) * (2 * ChaosSeries.hour)
            // Enough series that a block takes a few requests' time to upload.
            let data = ChaosSeries.make(instances: (0..<40).map { "i\($0)" }, fromMs: from, toMs: from + hours * ChaosSeries.hour)
            var pending = try ChaosSeries.blocks(promtool, data.openMetrics, tag: "ship")
            let initial = Array(pending.prefix(3))
            pending.removeFirst(initial.count)
            guard let p = try PrometheusServer.start(blocks: initial, externalLabels: ["cluster": "c1", "replica": "a"]) else {
                await s3.stop()
                return
            }
            prom = p
            let audit = BucketAudit(bucket: s3.direct, promtool: promtool)
            func sidecar() throws -> ChaosProcess {
                try ChaosProcess("strata-sidecar", ["--tsdb.path", p.dataDir, "--prometheus.url", p.url, s3.objstoreFlag,
                                                    "--grpc-address", "127.0.0.1:\(try freePort())", "--http-address", "127.0.0.1:\(try freePort())"])
            }
            while tally.trials < settings.trials {
                tally.trials += 1
                let appear = pending.isEmpty ? 0 : Int.random(in: 1...min(3, pending.count))
                let arriving = Array(pending.prefix(appear))
                pending.removeFirst(appear)
                let unshipped = try await Self.unshipped(p.dataDir, audit) + appear
                let s = try sidecar()
                // Blocks appear before the sidecar lists the directory or while it uploads
                // (then the next sidecar ships them). A block takes about 50 ms to upload
                // here: the kill lands among the uploads.
                async let moved: Void = Self.appear(arriving, in: p.dataDir, after: Double.random(in: 0...0.6))
                _ = await s.waitForLog("Prometheus ready", seconds: 30)
                let status = await s.run(killAfter: Double.random(in: 0...(0.05 * Double(unshipped + 1))))
                try await moved
                if status == nil { tally.kills += 1 } else if s.process.terminationReason == .uncaughtSignal {
                    tally.crashes += 1
                    tally.problems.append("strata-sidecar died of signal \(status!): \(s.logText.suffix(2000))")
                }
                let state = try await audit.state()
                if !state.partial.isEmpty { tally.partialAfterKill += 1 }
                // Whatever is complete in the bucket holds exactly what Prometheus wrote.
                let once = try await ChaosChecks.exactlyOnce(data.samples, in: state.live, audit: audit)
                if once.duplicated > 0 {
                    tally.duplicated += once.duplicated
                    tally.problems += once.problems.map { "after trial \(tally.trials): \($0)" }
                }
            }
            for b in pending { try await Self.appear([b], in: p.dataDir, after: 0) }
            // The undisturbed run: everything must be shipped within a bound.
            let last = try sidecar()
            let all = try FileManager.default.contentsOfDirectory(atPath: p.dataDir).filter { $0.count == 26 }
            var shipped = false
            let end = Date().addingTimeInterval(120)
            while !shipped && Date() < end && last.process.isRunning {
                try await Task.sleep(for: .milliseconds(500))
                let state = try await audit.state()
                shipped = all.allSatisfy { state.metas[$0] != nil } && state.partial.isEmpty
            }
            last.killIfRunning()
            let state = try await audit.state()
            tally.missing = all.filter { state.metas[$0] == nil }.count
            tally.partials = state.partial.count
            if tally.missing + tally.partials > 0 {
                tally.problems.append("after the last run: \(tally.missing) blocks not shipped, partial \(state.partial): \(last.logText.suffix(2000))")
            }
            let once = try await ChaosChecks.exactlyOnce(data.samples, in: state.live, audit: audit)
            tally.lost += once.lost
            tally.duplicated += once.duplicated
            tally.problems += once.problems
            if state.live.contains(where: { $0.labels != ["cluster": "c1", "replica": "a"] }) {
                tally.problems.append("a shipped block lacks the external labels: \(state.live.map(\.labels))")
            }
            let shipperFile = (try? String(contentsOfFile: p.dataDir + "/thanos.shipper.json", encoding: .utf8)) ?? ""
            let unlisted = all.filter { !shipperFile.contains($0) }
            if !unlisted.isEmpty { tally.problems.append("shipper file misses \(unlisted)") }
        } catch {
            tally.problems.append("harness error: \(error)")
        }
        prom?.stop()
        let stats = s3.proxy.snapshot
        await s3.stop()
        let pct = (settings.faults * 1000).rounded() / 10
        settings.report("chaos-ship: \(tally.trials) kill -9 trials (\(tally.kills) sidecars killed, \(tally.partialAfterKill) of them mid-upload), "
            + "\(pct)% S3 faults (\(stats.faulted) of \(stats.requests) requests, seed \(settings.seed)): \(tally.lost) samples lost, "
            + "\(tally.duplicated) duplicated, \(tally.missing) blocks not shipped, \(tally.partials) partial blocks left, \(tally.crashes) crashes")
        #expect(tally.violations == 0 && tally.problems.isEmpty, "\(tally.problems.prefix(20).joined(separator: "\n"))")
        #expect(tally.kills > 0 && (stats.faulted > 0 || settings.faults == 0))
    }

    /// Blocks of the TSDB directory without meta.json in the bucket.
    static func unshipped(_ dataDir: String, _ audit: BucketAudit) async throws -> Int {
        let state = try await audit.state()
        return try FileManager.default.contentsOfDirectory(atPath: dataDir).filter { $0.count == 26 && state.metas[$0] == nil }.count
    }

    /// A block appears in the TSDB directory the way Prometheus makes one: written under a
    /// temporary name, then renamed to its ULID.
    static func appear(_ blocks: [String], in dataDir: String, after delay: Double) async throws {
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        for b in blocks {
            let name = URL(fileURLWithPath: b).lastPathComponent
            let tmp = dataDir + "/" + name + ".tmp-for-creation"
            try FileManager.default.copyItem(atPath: b, toPath: tmp)
            try FileManager.default.moveItem(atPath: tmp, toPath: dataDir + "/" + name)
        }
    }
}
