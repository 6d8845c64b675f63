import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

/// `strata-compact` run as an operator runs it: the lock between two compactors, the job's
/// exit codes, SIGKILL in the middle of a pass, `strata block gen` history.
@Suite(.serialized) struct CompactorProcessTests {
    func objstore(_ root: String) -> String { "--objstore.config=type: FILESYSTEM\nconfig: {directory: \(root)}" }

    func run(_ args: [String], timeout: Double = 120) throws -> TestEnv.RunResult {
        try TestEnv.run(TestEnv.binary("strata-compact"), args + ["--http-address", "127.0.0.1:\(try freePort())"], timeout: timeout)
    }

    /// 3 days of 2h blocks (60s scrapes) from `strata block gen`, uploaded to a fresh filesystem bucket.
    func generatedHistory(series: Int, cluster: String) async throws -> ([String], FilesystemBucket, String) {
        let gen = TestEnv.tempDir("gen")
        let end = formatRFC3339(Fixture.dayZero + 72 * Fixture.hour)
        let g = try TestEnv.run(TestEnv.strataBinary, ["block", "gen", "--out", gen, "--series", "\(series)", "--days", "3",
                                                       "--interval", "60s", "--end", end, "--label", "cluster=\(cluster)"])
        guard g.status == 0 else { throw TSDBError.invalidArgument("strata block gen failed: \(g.stderr)") }
        let inputs = try FileManager.default.contentsOfDirectory(atPath: gen).filter { $0.count == 26 }.sorted().map { gen + "/" + $0 }
        let (bucket, root) = try Fixture.fsBucket("gen-bucket")
        _ = try await Fixture.upload(inputs, to: bucket, labels: ["cluster": cluster])
        return (inputs, bucket, root)
    }

    /// `strata block gen` writes 3 days of 2h blocks; one `strata-compact` job turns them into
    /// 2d + 8h blocks and a 5m copy, with every sample kept.
    @Test(.timeLimit(.minutes(5))) func jobCompactsGeneratedHistory() async throws {
        let (inputs, bucket, root) = try await generatedHistory(series: 40, cluster: "gen")
        #expect(inputs.count == 36)
        let r = try run(["--data-dir", TestEnv.tempDir("gen-data"), "--consistency-delay", "0s", objstore(root)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("pass completed") && r.stderr.contains("compactions=9"), "\(r.stderr)")
        let live = try await Fixture.live(bucket)
        let raw = live.filter { $0.resolution == 0 }
        #expect(raw.map { ($0.maxTime - $0.minTime + Fixture.hour / 2) / Fixture.hour } == [48, 8, 8, 2, 2, 2, 2])
        #expect(live.filter { $0.resolution == Downsample.resolution5m }.count == 1)
        #expect(try Fixture.dump(raw.map { root + "/" + $0.ulid.description }, promtool: nil) == Fixture.dump(inputs, promtool: nil))
    }

    /// A job whose --http-address is taken still does its pass (and says why /metrics is missing).
    @Test func jobRunsWhenItsHTTPPortIsTaken() async throws {
        let (bucket, root) = try Fixture.fsBucket("port-bucket")
        let local = TestEnv.tempDir("port-blocks")
        var dirs: [String] = []
        for i in 0..<5 { dirs.append(try Fixture.block(local, Fixture.dayZero + Int64(i) * 2 * Fixture.hour, Fixture.dayZero + Int64(i + 1) * 2 * Fixture.hour)) }
        _ = try await Fixture.upload(dirs, to: bucket)
        // Something else listens on the port: a long-running compactor of another bucket.
        let port = try freePort()
        let holder = try startService("strata-compact", ["--wait", "--data-dir", TestEnv.tempDir("port-holder"), objstore(TestEnv.tempDir("port-empty2")),
                                                         "--http-address", "127.0.0.1:\(port)"]).process
        defer { holder.terminate(); holder.waitUntilExit() }
        #expect(waitFor(30) { httpStatus(port: port, path: "/-/healthy") == 200 })
        let r = try TestEnv.run(TestEnv.binary("strata-compact"), ["--data-dir", TestEnv.tempDir("port-data"), "--consistency-delay", "0s",
                                                                  objstore(root), "--http-address", "127.0.0.1:\(port)"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("admin HTTP server failed") && r.stderr.contains("compactions=1"), "\(r.stderr)")
    }

    /// Of concurrent lock attempts on one bucket exactly one wins; the others are told who holds it.
    @Test func exactlyOneLockHolder() async throws {
        let (bucket, _) = try Fixture.fsBucket("lock-race")
        let locks = (0..<8).map { _ in CompactorLock(bucket: bucket) }
        let results = await withTaskGroup(of: (String, Result<Void, Error>).self) { g in
            for l in locks {
                g.addTask {
                    do { try await l.acquire(); return (l.owner, .success(())) } catch { return (l.owner, .failure(error)) }
                }
            }
            var out: [(String, Result<Void, Error>)] = []
            for await r in g { out.append(r) }
            return out
        }
        let winners = results.filter { if case .success = $0.1 { return true } else { return false } }
        #expect(winners.count == 1)
        for (_, res) in results {
            if case .failure(let e) = res {
                #expect(e as? CompactorLockError == .held(by: try #require(try await CompactorLock(bucket: bucket).current())))
            }
        }
        // Two compactors cannot share a data dir either.
        let dir = TestEnv.tempDir("flock")
        let first = try DataDirLock(dataDir: dir)
        #expect(throws: CompactorLockError.dataDirInUse(dir)) { try DataDirLock(dataDir: dir) }
        withExtendedLifetime(first) {}
    }

    /// A second `strata-compact` exits 3 naming the live holder; with --lock.wait it waits
    /// for a dead holder's lock to expire, takes it over and does the pass.
    @Test(.timeLimit(.minutes(2))) func secondCompactorIsRefusedOrWaits() async throws {
        let (bucket, root) = try Fixture.fsBucket("lock-bucket")
        let holder = CompactorLock(bucket: bucket, ttl: .seconds(4))
        try await holder.acquire()
        var r = try run(["--data-dir", TestEnv.tempDir("lock-data"), objstore(root)])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("locked by another compactor") && r.stderr.contains(holder.owner), "\(r.stderr)")

        // The holder dies without releasing: its lock expires after 4s.
        let start = Date()
        r = try run(["--data-dir", TestEnv.tempDir("lock-data"), "--lock.wait", objstore(root)], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) > 2, "took over a live lock")
        #expect(r.stderr.contains("waiting for the bucket lock"))
        #expect(try await CompactorLock(bucket: bucket).current() == nil, "lock released on exit")
    }

    /// SIGKILL in the middle of a pass, then a new run (after the dead lock expires): it
    /// finishes the work — no overlapping blocks, no sample lost or doubled.
    @Test(.timeLimit(.minutes(5))) func killedMidPassThenFinished() async throws {
        let (inputs, bucket, root) = try await generatedHistory(series: 100, cluster: "k")
        let data = TestEnv.tempDir("kill-data")
        let args = ["--data-dir", data, "--consistency-delay", "0s", "--lock.ttl", "3s", "--delete-delay", "0s", objstore(root),
                    "--http-address", "127.0.0.1:\(try freePort())"]
        let (p, log) = try startService("strata-compact", args)
        // Kill right after the first compacted block is uploaded, while its inputs are being marked.
        let sawMark = waitFor(120) {
            (try? FileManager.default.contentsOfDirectory(atPath: root))?.contains { FileManager.default.fileExists(atPath: root + "/" + $0 + "/deletion-mark.json") } == true
        }
        let wasRunning = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(sawMark && wasRunning, "\(String(describing: try? String(contentsOfFile: log, encoding: .utf8)))")

        let r = try run(["--data-dir", data, "--consistency-delay", "0s", "--lock.wait", "--delete-delay", "0s", objstore(root)], timeout: 180)
        #expect(r.status == 0, "\(r.stderr)")
        let live = try await Fixture.live(bucket)
        for res in [Int64(0), Downsample.resolution5m] {
            #expect(CompactPlanner.overlaps(live.filter { $0.resolution == res }).isEmpty, "overlap at resolution \(res)")
        }
        let raw = live.filter { $0.resolution == 0 }
        #expect(raw.count == 7)
        #expect(try Fixture.dump(raw.map { root + "/" + $0.ulid.description }, promtool: nil) == Fixture.dump(inputs, promtool: nil))
        let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
        #expect(snap.deletionMarks.isEmpty && snap.metas.count == live.count)
    }
}
