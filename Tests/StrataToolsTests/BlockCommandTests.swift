import Foundation
import StrataTestSupport
import Testing
import StrataCore
import StrataTSDB

/// The `strata block` commands run as a user runs them: the real binary, real promtool.
@Suite struct BlockCommandTests {
    let strata = TestEnv.strataBinary

    @Test func genWritesBlocksPromtoolAndVerifyAccept() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let out = TestEnv.tempDir("gen")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try TestEnv.run(strata, ["block", "gen", "--out", out, "--series", "120", "--days", "0.25",
                                         "--end", "2024-03-01T06:00:00Z", "--label", "cluster=eu1", "--label", "replica=a", "--seed", "7"])
        #expect(r.status == 0, "\(r.stderr)")
        let blocks = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(blocks.count == 3)
        #expect(!blocks.contains { $0.contains("tmp") })
        var total = 0
        for b in blocks {
            let v = try TestEnv.run(strata, ["block", "verify", out + "/" + b])
            #expect(v.status == 0, "\(v.stderr)")
            let ours = try TestEnv.run(strata, ["block", "dump", out + "/" + b])
            let theirs = try TestEnv.promtoolDump(promtool, block: out + "/" + b)
            #expect(ours.stdout == theirs)
            total += theirs.split(separator: "\n").count
            let meta = try BlockMeta.read(dir: out + "/" + b)
            #expect(meta.externalLabels == Labels(["cluster": "eu1", "replica": "a"]))
            #expect(meta.maxTime - meta.minTime == 7_200_000)
        }
        // 120 series × 6h / 15s, give or take pods restarting mid-range.
        #expect(total >= 120 * 1440 * 9 / 10)
        let dump = try TestEnv.run(strata, ["block", "dump", out + "/" + blocks[0], "--match", #"http_request_duration_seconds_bucket{le="+Inf"}"#])
        #expect(!dump.stdout.isEmpty)
        #expect(dump.stdout.split(separator: "\n").allSatisfy { $0.contains(#"le="+Inf""#) })
        // Same seed, same samples.
        let out2 = TestEnv.tempDir("gen2")
        defer { try? FileManager.default.removeItem(atPath: out2) }
        _ = try TestEnv.run(strata, ["block", "gen", "--out", out2, "--series", "120", "--days", "0.25",
                                     "--end", "2024-03-01T06:00:00Z", "--seed", "7"])
        let b2 = try FileManager.default.contentsOfDirectory(atPath: out2).sorted()
        #expect(try TestEnv.run(strata, ["block", "dump", out2 + "/" + b2[1]]).stdout
                == TestEnv.run(strata, ["block", "dump", out + "/" + blocks[1]]).stdout)
    }

    @Test func rewriteDeletesSeriesAndRecordsIt() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let src = try TestEnv.promBlocks()[0]
        let out = TestEnv.tempDir("rewrite")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try TestEnv.run(strata, ["block", "rewrite", src, out, "--delete", #"{job="api"}"#, "--delete", #"weird_gauge{kind=~"p.*"}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let made = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(made.count == 1)
        let dir = out + "/" + made[0]
        let before = try TestEnv.promtoolDump(promtool, block: src).split(separator: "\n")
        let after = try TestEnv.promtoolDump(promtool, block: dir).split(separator: "\n")
        let kept = before.filter { !$0.contains(#"job="api""#) && !$0.contains(#"kind="plain""#) }
        #expect(after == kept)
        #expect(after.count < before.count)
        let meta = try BlockMeta.read(dir: dir)
        #expect(meta.ulid.description != URL(fileURLWithPath: src).lastPathComponent)
        #expect(meta.thanos?.rewrites.count == 1)
        #expect(meta.thanos?.rewrites.first?["sources"]?.arrayValue?.first?.stringValue == URL(fileURLWithPath: src).lastPathComponent)
        #expect(try TestEnv.run(strata, ["block", "verify", dir]).status == 0)
    }

    @Test func inspectShowsStatsAndCardinality() throws {
        let src = try TestEnv.promBlocks()[0]
        let r = try TestEnv.run(strata, ["block", "inspect", src])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Highest cardinality metric names"))
        #expect(r.stdout.contains("weird_gauge"))
        let j = try TestEnv.run(strata, ["block", "inspect", src, "--json"])
        let v = try JSONValue(parsing: j.stdout)
        #expect(v["meta"]?["stats"]?["numSeries"]?.int64Value == 19)
        #expect(v["topMetrics"]?.arrayValue?.first?["metric"]?.stringValue == "weird_gauge")
    }

    @Test func badInputIsOneLineErrorAndExitOne() throws {
        let empty = TestEnv.tempDir("bad")
        for args in [["block", "dump", empty], ["block", "inspect", empty + "/missing"], ["block", "dump", empty, "--match", "{a=~\"(\"}"]] {
            let r = try TestEnv.run(strata, args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("error: "))
        }
        // A truncated index: the error names the file and the offset.
        let src = try TestEnv.promBlocks()[1]
        let copy = empty + "/" + URL(fileURLWithPath: src).lastPathComponent
        try FileManager.default.copyItem(atPath: src, toPath: copy)
        let idx = try Data(contentsOf: URL(fileURLWithPath: copy + "/index"))
        try idx.prefix(idx.count / 2).write(to: URL(fileURLWithPath: copy + "/index"))
        let r = try TestEnv.run(strata, ["block", "dump", copy])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/index: ") && r.stderr.contains("offset"), "\(r.stderr)")
        let v = try TestEnv.run(strata, ["block", "verify", copy])
        #expect(v.status == 1)
        #expect(v.stderr.contains("index"))
        // rewrite of a broken block leaves nothing in the output dir.
        let out = TestEnv.tempDir("badout")
        let rw = try TestEnv.run(strata, ["block", "rewrite", copy, out])
        #expect(rw.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }
}
