import Foundation
import StrataTestSupport
import Testing

/// `kill -9` of the real `strata-compact` (and of `strata bucket upload` and `cleanup`) at
/// random moments, on moto behind a proxy that fails, drops, truncates and slows S3
/// requests. Each round uploads HA replica a and an expired group, starts compactors
/// (`--lock.wait`, sometimes two at once) and kills them until one completes a pass (or half
/// the trials are spent), completes a pass, then uploads replica b late (its blocks overlap
/// a's compacted and downsampled history) and kills compactors again; a last pass and a
/// killed-then-repeated cleanup follow. Checked from the bucket by an
/// independent reader (promtool): after every kill no sample is lost; after the round each
/// sample is in the live raw blocks exactly once, no live blocks of a group overlap, the 5m
/// block agrees with the raw data, retention removed the expired group, no partial block or
/// deletion mark is left, the lock is released and was never taken while its holder's lease
/// ran, and every compactor got the lock in bounded time. Short by default; the soak is
/// scripts/chaos-compact.sh (`CHAOS_TRIALS`, `CHAOS_FAULTS`, `CHAOS_SEED`).
@Suite(.serialized) struct ChaosCompactTests {
    static let hour = ChaosSeries.hour
    static let ttlSeconds = 3.0
    /// A compactor must hold the lock this long after starting when no other one is alive.
    static let lockBound = 2 * ttlSeconds + 10

    struct Tally {
        var trials = 0, kills = 0, completed = 0, failedPasses = 0, uploadKills = 0, cleanupKills = 0
        var lost = 0, duplicated = 0, overlaps = 0, downsampling = 0, partials = 0, wedged = 0, concurrent = 0, crashes = 0
        /// Conditional-write check objects of killed compactors, younger than their 1 h cleanup age.
        var checkScratch = 0
        var problems: [String] = []

        var violations: Int { lost + duplicated + overlaps + downsampling + partials + wedged + concurrent + crashes }
    }

    /// Inputs of one round: replica a (52h, a gap in i0), replica b (the last 16h, a gap in
    /// i1), and a group 20 days old that the 10d raw retention must delete.
    struct Inputs {
        var a: [String], b: [String], old: [String]
        /// Replica a alone (before b's late upload), and both.
        var expectedA: SampleSet, expected: SampleSet
        var t0: Int64
    }

    static func inputs(_ promtool: String) throws -> Inputs {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let t0 = (now - 80 * hour) / (48 * hour) * (48 * hour)
        let inst = ["i0", "i1", "i2", "i3", "i4"]
        let a = ChaosSeries.make(instances: inst, fromMs: t0, toMs: t0 + 52 * hour, gaps: ["i0": (t0 + 40 * hour)..<(t0 + 41 * hour)])
        let b = ChaosSeries.make(instances: inst, fromMs: t0 + 36 * hour, toMs: t0 + 52 * hour, gaps: ["i1": (t0 + 44 * hour)..<(t0 + 45 * hour)])
        let old = ChaosSeries.make(instances: ["i0"], fromMs: t0 - 20 * 24 * hour, toMs: t0 - 20 * 24 * hour + 4 * hour)
        return Inputs(a: try ChaosSeries.blocks(promtool, a.openMetrics, tag: "a"), b: try ChaosSeries.blocks(promtool, b.openMetrics, tag: "b"),
                      old: try ChaosSeries.blocks(promtool, old.openMetrics, tag: "old"), expectedA: a.samples,
                      expected: a.samples.union(b.samples), t0: t0)
    }

    @Test(.timeLimit(.minutes(600))) func compactorSurvivesKillsAndFaults() async throws {
        let settings = ChaosSettings.fromEnvironment(defaultTrials: 5)
        guard let promtool = try TestEnv.promtool() else { return }
        let plan = FaultPlan(rates: .mix(settings.faults), seed: settings.seed)
        guard let s3 = try await ChaosS3.start(plan: plan) else { return }
        let watch = LockWatch(bucket: s3)
        var tally = Tally()
        let deadline = Date().addingTimeInterval(240 + 60 * Double(settings.trials))
        do {
            let inputs = try Self.inputs(promtool)
            let audit = BucketAudit(bucket: s3.direct, promtool: promtool)
            var round = 0
            while (round == 0 || tally.trials < settings.trials) && Date() < deadline {
                round += 1
                try await Self.wipe(s3)
                // Replica b's sidecar comes back late: its blocks arrive after a's were compacted
                // into a 2d block and downsampled, so they merge into history (vertical
                // compaction) and the 5m data must be made again.
                try await Self.upload([(inputs.a, ["cluster=c1", "replica=a"]), (inputs.old, ["cluster=old", "replica=a"])], s3, &tally)
                let half = tally.trials + max(1, (settings.trials - tally.trials) / 2)
                try await Self.killTrials(s3, inputs.expectedA, audit, limit: half, deadline, &tally)
                if try await !Self.completePass(s3, &tally) { tally.problems.append("no pass completed before replica b's upload") }
                try await Self.upload([(inputs.b, ["cluster=c1", "replica=b"])], s3, &tally)
                try await Self.killTrials(s3, inputs.expected, audit, limit: settings.trials, deadline, &tally)
                try await Self.finish(s3, inputs, audit, &tally)
            }
            if Date() >= deadline { tally.problems.append("stopped at the deadline after \(tally.trials) trials") }
        } catch {
            tally.problems.append("harness error: \(error)")
        }
        await watch.stop()
        let lock = watch.report
        tally.concurrent += lock.violations.count
        tally.problems += lock.violations
        let stats = s3.proxy.snapshot
        await s3.stop()

        let pct = (settings.faults * 1000).rounded() / 10
        settings.report("chaos-compact: \(tally.trials) kill -9 trials (\(tally.kills) compactors killed, \(tally.completed) passes completed, "
            + "\(tally.failedPasses) passes failed and retried, \(tally.uploadKills) uploads and \(tally.cleanupKills) cleanups killed), "
            + "\(pct)% S3 faults (\(stats.faulted) of \(stats.requests) requests, seed \(settings.seed)): \(tally.lost) samples lost, "
            + "\(tally.duplicated) duplicated, \(tally.overlaps) overlaps, \(tally.downsampling) downsampling mismatches, "
            + "\(tally.partials) partial blocks left, \(tally.wedged) wedged locks, \(tally.concurrent) concurrent holders "
            + "(\(lock.takeovers) takeovers, \(lock.releases) releases), \(tally.crashes) crashes; "
            + "\(tally.checkScratch) check objects of killed compactors awaiting their 1 h cleanup")
        #expect(tally.violations == 0 && tally.problems.isEmpty, "\(tally.problems.prefix(20).joined(separator: "\n"))")
        #expect(tally.trials >= settings.trials, "only \(tally.trials) trials ran")
        #expect(stats.faulted > 0 || settings.faults == 0, "the proxy injected no fault")
    }

    static func compactArgs(_ s3: ChaosS3) throws -> [String] {
        [s3.objstoreFlag, "--data-dir", TestEnv.tempDir("chaos-compact"), "--consistency-delay", "0s",
         "--deduplication.replica-label", "replica", "--delete-delay", "0s", "--retention.resolution-raw", "10d",
         "--lock.wait", "--lock.ttl", "\(Int(ttlSeconds))s", "--http-address", "127.0.0.1:\(try freePort())"]
    }

    static func wipe(_ s3: ChaosS3) async throws {
        for key in try await s3.direct.list(prefix: "", recursive: true) { try await s3.direct.deleteIfExists(key) }
    }

    /// `strata bucket upload` of each input set through the faults, killed at a random moment
    /// up to twice per set, repeated until every block has its meta.json.
    static func upload(_ sets: [([String], [String])], _ s3: ChaosS3, _ tally: inout Tally) async throws {
        for (dirs, labels) in sets {
            var kills = 0
            for _ in 0..<20 {
                var todo: [String] = []
                for d in dirs where !(try await s3.direct.exists(URL(fileURLWithPath: d).lastPathComponent + "/meta.json")) { todo.append(d) }
                if todo.isEmpty { break }
                let p = try ChaosProcess("strata", ["bucket", "upload", s3.objstoreFlag] + labels.flatMap { ["--label", $0] } + todo)
                if await p.run(killAfter: kills < 2 ? Double.random(in: 0.1...2) : 300) == nil {
                    kills += 1
                    tally.uploadKills += 1
                }
            }
        }
    }

    /// Compactors started and killed until one completes a pass (or the trials run out);
    /// after each, no sample may be missing from the live raw blocks.
    static func killTrials(_ s3: ChaosS3, _ expected: SampleSet, _ audit: BucketAudit, limit: Int,
                           _ deadline: Date, _ tally: inout Tally) async throws {
        while tally.trials < limit && Date() < deadline {
            tally.trials += 1
            let two = tally.trials % 3 == 0
            let first = try ChaosProcess("strata-compact", try compactArgs(s3))
            let second = two ? try ChaosProcess("strata-compact", try compactArgs(s3)) : nil
            async let r1 = first.run(killAfter: Double.random(in: 0.3...12))
            async let r2 = second?.run(killAfter: Double.random(in: 0.3...12))
            let (s1, s2) = await (r1, r2)
            var done = false
            for (p, status) in [(first, s1), (second, s2)] {
                guard let p else { continue }
                if status == nil { tally.kills += 1 } else if status == 0 { tally.completed += 1; done = true } else { tally.failedPasses += 1 }
                check(p, status: status, alone: !two, &tally)
            }
            let live = try await audit.state().live.filter { $0.labels["cluster"] == "c1" }
            let loss = try await ChaosChecks.noLoss(expected, in: live, audit: audit)
            tally.lost += loss.lost
            tally.problems += loss.problems.map { "after trial \(tally.trials): \($0)" }
            if done { return }
        }
    }

    /// Crashes (a signal we did not send) and lock waits past the bound.
    static func check(_ p: ChaosProcess, status: Int32?, alone: Bool, _ tally: inout Tally) {
        if let status, p.process.terminationReason == .uncaughtSignal {
            tally.crashes += 1
            tally.problems.append("strata-compact died of signal \(status): \(p.logText.suffix(2000))")
        }
        guard alone else { return }
        let end = p.killedAt ?? Date()
        let acquired = p.firstLogTime(containing: "acquired the bucket lock")
        let waited = (acquired ?? end).timeIntervalSince(p.started)
        if waited > lockBound && (acquired != nil || end.timeIntervalSince(p.started) > lockBound) {
            tally.wedged += 1
            tally.problems.append("strata-compact waited \(waited) s for the lock (bound \(lockBound) s): \(p.logText.suffix(1500))")
        }
    }

    /// The normal pass that must complete under the same faults, a cleanup killed once and
    /// repeated, then the end-of-round invariants.
    /// A normal pass under the same faults, undisturbed: true once one completes (exit 0);
    /// a failed pass (exit 1, a job whose retries ran out) is tried again, twice at most.
    static func completePass(_ s3: ChaosS3, _ tally: inout Tally) async throws -> Bool {
        for _ in 0..<3 {
            let last = try ChaosProcess("strata-compact", try compactArgs(s3))
            let status = await last.run(killAfter: 300)
            check(last, status: status, alone: true, &tally)
            if status == 0 { return true }
            if status == nil {
                tally.wedged += 1
                tally.problems.append("a normal pass did not complete within 300 s: \(last.logText.suffix(2000))")
                return false
            }
            tally.failedPasses += 1
            tally.problems.append("a normal pass failed (exit \(status!)): \(last.logText.split(separator: "\n").filter { $0.contains("level=error") }.prefix(5).joined(separator: "\n"))")
        }
        return false
    }

    static func finish(_ s3: ChaosS3, _ inputs: Inputs, _ audit: BucketAudit, _ tally: inout Tally) async throws {
        if try await !completePass(s3, &tally) { tally.problems.append("no normal pass completed after the kills") }
        var cleaned = false
        for attempt in 0..<6 where !cleaned {
            let c = try ChaosProcess("strata", ["bucket", "cleanup", s3.objstoreFlag, "--delete-delay", "0s", "--partial-delay", "0s"])
            let status = await c.run(killAfter: attempt == 0 ? Double.random(in: 0.05...1) : 120)
            if status == nil { tally.cleanupKills += 1 } else { cleaned = status == 0 }
        }
        if !cleaned { tally.problems.append("strata bucket cleanup never succeeded") }

        let state = try await audit.state()
        let live = state.live
        let main = live.filter { $0.labels["cluster"] == "c1" }
        let once = try await ChaosChecks.exactlyOnce(inputs.expected, in: main, audit: audit)
        tally.lost += once.lost
        tally.duplicated += once.duplicated
        tally.problems += once.problems
        let overlaps = ChaosChecks.overlaps(live, replicaLabels: ["replica"])
        tally.overlaps += overlaps.count
        tally.problems += overlaps
        let ds = try await ChaosChecks.downsampled(inputs.expected, in: main, audit: audit)
        tally.downsampling += ds.count
        tally.problems += ds
        if !main.contains(where: { $0.resolution == 300_000 && $0.minTime < inputs.t0 + hour && $0.maxTime >= inputs.t0 + 47 * hour }) {
            tally.downsampling += 1
            tally.problems.append("no 5m block for the 2d window: \(main.map { ($0.resolution, $0.minTime, $0.maxTime) })")
        }
        if live.contains(where: { $0.labels["cluster"] == "old" }) { tally.problems.append("retention left the expired group alive") }
        tally.partials += state.partial.count
        if !state.partial.isEmpty { tally.problems.append("partial blocks left after cleanup: \(state.partial)") }
        if !state.deletionMarked.isEmpty { tally.problems.append("blocks still marked for deletion after --delete-delay 0s: \(state.deletionMarked)") }
        // A compactor killed during its conditional-write check leaves its scratch object;
        // the lock holder removes those older than an hour (a live contender's check may take
        // a minute of retries). Anything else next to the lock is a leftover.
        let scratch = state.otherKeys.filter { $0.hasPrefix("strata-compact.lock.cas-check-") }
        tally.checkScratch += scratch.count
        for key in scratch {
            let age = Date().timeIntervalSince(try await s3.direct.attributes(key).lastModified)
            if age > 3600 { tally.problems.append("\(key) is \(Int(age)) s old and still there") }
        }
        let lockKeys = state.otherKeys.filter { $0.hasPrefix("strata-compact.lock.") && !scratch.contains($0) }
        if !lockKeys.isEmpty { tally.problems.append("lock leftovers: \(lockKeys)") }
        if let bytes = try? await s3.direct.getBytes("strata-compact.lock"), !String(decoding: bytes, as: UTF8.self).contains("\"released\"") {
            tally.wedged += 1
            tally.problems.append("lock not released after the last pass: \(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
