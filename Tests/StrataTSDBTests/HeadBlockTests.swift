import Foundation
import Synchronization
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// Cutting the head into 2h blocks: each block holds exactly the range's samples (promtool
/// `analyze` and `dump` agree), the head and the WAL let go of them (a checkpoint replaces
/// old segments), and blocks + head together are what was appended, once.
@Suite(.serialized) struct HeadBlockTests {
    let hour: Int64 = 3_600_000

    @Test func tenHoursCutIntoTwoHourBlocksAndTheWALTruncated() throws {
        let dir = TestEnv.tempDir("head-c")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Small segments, so truncation has segments to drop.
        let options = HeadOptions(walSegmentSize: 2 * WALFormat.pageSize)
        var head = try Head.open(dir: dir, options: options)
        var e = Expected()
        var gens = (0..<10).map { HistogramSeriesGen(seed: UInt64($0) + 100) }
        var blocks: [BlockMeta] = []
        var checkpoints = Set<Int>()
        let t0: Int64 = 1_700_000_000_000 / (2 * hour) * (2 * hour) + 1_234  // just after a range start
        // Every minute for 10 hours: 60 float series (one appears and one ends midway) and 10
        // histogram series; blocks are cut as the head moves on, and the head is reopened
        // every 3 hours.
        for minute in 0..<600 {
            let t = t0 + Int64(minute) * 60_000
            let app = head.appender()
            for i in 0..<60 where !(i == 7 && minute > 200) && !(i == 8 && minute < 300) {
                let l = seriesLabels("float", i)
                let v = Double(minute * (i + 1)) * 0.5
                try app.append(l, t, v)
                e.add(l, t, v)
            }
            for i in 0..<10 {
                var h = gens[i].next().1
                while h.schema == -53 { h = gens[i].next().1 }
                let l = seriesLabels("hist", i)
                try app.append(l, t, histogram: h)
                e.add(l, t, .histogram(h))
            }
            #expect(try app.commit().rejectedTotal == 0)
            blocks += try head.cutBlocks()
            if let cp = try WALCheckpoint.last(in: dir + "/wal") { checkpoints.insert(cp.index) }
            if minute % 180 == 179 {
                try head.close()
                head = try Head.open(dir: dir, options: options)
            }
        }
        // The head spans more than 1.5 block durations before a range is cut, so after 10 h
        // of data the blocks end at the range boundary 2 h before the last one.
        let rangeStart = t0 / (2 * hour) * (2 * hour)
        #expect(blocks.map(\.maxTime) == [1, 2, 3, 4].map { rangeStart + Int64($0) * 2 * hour })
        #expect(blocks.first?.minTime == t0)
        for (a, b) in zip(blocks, blocks.dropFirst()) { #expect(b.minTime >= a.maxTime) }
        #expect(blocks.allSatisfy { $0.compaction.level == 1 && $0.compaction.sources == [$0.ulid] })

        // The WAL was truncated: checkpoints were made, old segments and checkpoints removed.
        let walSegs = try WALFormat.segments(in: dir + "/wal")
        let cps = try WALFormat.checkpoints(in: dir + "/wal")
        #expect(checkpoints.count >= 2 && cps.count == 1, "checkpoints made: \(checkpoints.sorted()), left: \(cps.map(\.index))")
        #expect(walSegs.first == cps[0].index + 1, "segments \(walSegs) follow checkpoint \(cps[0].index)")

        // Each block holds exactly its range of what was appended.
        for b in blocks {
            let r = try BlockReader(dir: dir + "/" + b.ulid.description)
            var inBlock: SampleSet = [:]
            try r.forEachSeries(matching: []) { s in
                try r.forEachSample(of: s) { t, v in inBlock[s.labels, default: []].append("\(t) \(canonical(v))") }
            }
            var want: SampleSet = [:]
            for (l, lines) in e.samples {
                let kept = lines.filter { Int64($0.split(separator: " ")[0])! >= b.minTime && Int64($0.split(separator: " ")[0])! < b.maxTime }
                if !kept.isEmpty { want[l] = kept }
            }
            #expect(firstDifference(inBlock, want) == nil, "block \(b.ulid)")
            #expect(b.stats.numSamples == UInt64(want.values.reduce(0) { $0 + $1.count }))
            var v = BlockVerifier(dir: dir + "/" + b.ulid.description)
            #expect(v.run().isEmpty)
        }
        // Blocks + head = everything, each sample once.
        var all = try blockSamples(dir)
        for (l, lines) in try samples(of: head) { all[l, default: []] += lines }
        #expect(firstDifference(all, e.samples) == nil)
        // A replay from the checkpoint and the segments after it rebuilds the same head.
        let before = try samples(of: head)
        try head.close()
        let again = try Head.open(dir: dir, options: options)
        #expect(again.replay.checkpoint == cps[0].index)
        #expect(firstDifference(try samples(of: again), before) == nil)
        // The series that ended midway has left the head.
        #expect(before[seriesLabels("float", 7)] == nil)
        try again.close()

        guard let promtool = try TestEnv.promtool() else { return }
        for b in blocks {
            let a = try TestEnv.run(promtool, ["tsdb", "analyze", dir, b.ulid.description])
            #expect(a.status == 0, "\(a.stderr)")
            #expect(a.stdout.contains("Series: \(b.stats.numSeries)"))
            let dump = try TestEnv.promtoolDump(promtool, block: dir + "/" + b.ulid.description)
            var want = Expected()
            for (l, lines) in e.samples {
                want.samples[l] = lines.filter { Int64($0.split(separator: " ")[0])! >= b.minTime && Int64($0.split(separator: " ")[0])! < b.maxTime }
            }
            #expect(firstDifference(dump, want.promtoolText()) == nil, "block \(b.ulid)")
        }
        // The whole data dir: blocks and the head (from the checkpoint on), every float once.
        #expect(firstDifference(try promtoolDump(promtool, dataDir: dir), e.promtoolText()) == nil)
    }

    /// `force` cuts the whole head, the current range included, up to its newest sample;
    /// samples up to that one are refused afterwards, newer ones taken, and the head is empty.
    @Test func forcedCutLeavesNoHeadBehind() throws {
        let dir = TestEnv.tempDir("head-c")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir)
        let app = head.appender()
        for k in 0..<300 { try app.append(seriesLabels("m", k % 5), 10 * hour + Int64(k) * 30_000, Double(k)) }
        try app.commit()
        #expect(try head.cutBlocks().isEmpty)
        let blocks = try head.cutBlocks(force: true) { $0.thanos = ThanosMeta(labels: ["replica": "a"], source: "rule") }
        let newest = 10 * hour + 299 * 30_000
        #expect(blocks.map(\.maxTime) == [12 * hour, newest + 1])
        #expect(blocks.allSatisfy { $0.thanos?.labels == ["replica": "a"] && $0.thanos?.source == "rule" })
        #expect(head.stats.series == 0 && head.stats.minTime == nil)
        try app.append(seriesLabels("m", 1), newest, 1)
        try app.append(seriesLabels("m", 1), newest + 1, 1)
        let r = try app.commit()
        #expect(r.rejected == [.tooOld: 1] && r.appended == 1)
        #expect(try blockSamples(dir).values.reduce(0) { $0 + $1.count } == 300)
    }
}

/// Blocks are written while appends go on: one thread appends minute by minute, two others
/// cut blocks as often as they can; every range is written once and no sample is lost or
/// duplicated between blocks and head.
@Suite struct HeadConcurrentCutTests {
    @Test func appendsContinueWhileBlocksAreCut() throws {
        let dir = TestEnv.tempDir("head-c")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir, options: HeadOptions(walSegmentSize: 2 * WALFormat.pageSize))
        let done = Mutex(false)
        let failures = Mutex<[String]>([])
        let expected = Mutex(Expected())
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            do {
                if worker == 0 {
                    let app = head.appender()
                    var e = Expected()
                    for minute in 0..<720 {
                        let t = Int64(minute) * 60_000
                        for i in 0..<40 {
                            try app.append(seriesLabels("m", i), t, Double(minute + i))
                            e.add(seriesLabels("m", i), t, Double(minute + i))
                        }
                        let r = try app.commit()
                        if r.appended != 40 { failures.withLock { $0.append("minute \(minute): \(r)") } }
                    }
                    expected.withLock { $0 = e }
                    done.withLock { $0 = true }
                } else {
                    while !done.withLock({ $0 }) { try head.cutBlocks() }
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        try head.cutBlocks()  // what came due after the cutters stopped
        let blocks = try FileManager.default.contentsOfDirectory(atPath: dir).filter { (try? ULID(parsing: $0)) != nil }
        let metas = try blocks.map { try BlockMeta.read(dir: dir + "/" + $0) }.sorted { $0.minTime < $1.minTime }
        #expect(metas.map(\.maxTime) == [2, 4, 6, 8, 10].map { Int64($0) * 3_600_000 })
        var all = try blockSamples(dir)
        for (l, lines) in try samples(of: head) { all[l, default: []] += lines }
        #expect(firstDifference(all, expected.withLock { $0.samples }) == nil)
    }
}

/// Group commit: batches committed from several threads at once, each fsynced before its
/// commit returns (the fsync runs outside the head's lock and covers whatever was logged
/// before it), across WAL segment switches; a reopened head replays every one of them.
@Suite struct HeadGroupCommitTests {
    @Test func concurrentCommitsAreAllDurable() throws {
        let dir = TestEnv.tempDir("head-g")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = HeadOptions(walSync: .everyBatch, walSegmentSize: WALFormat.pageSize)
        let head = try Head.open(dir: dir, options: options)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                let app = head.appender()
                for k in 0..<150 {
                    for s in 0..<10 { try app.append(seriesLabels("w\(worker)", s), 1_000 + Int64(k) * 1_000, Double(k)) }
                    let r = try app.commit()
                    if r.appended != 10 { failures.withLock { $0.append("worker \(worker) batch \(k): \(r)") } }
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(try WALFormat.segments(in: dir + "/wal").count > 2)
        try head.close()
        let reopened = try Head.open(dir: dir, options: options)
        #expect(reopened.stats.samples == 4 * 150 * 10 && reopened.stats.series == 40)
        try reopened.close()
    }
}
