import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// Replay after an unclean stop, and repair of a torn tail: every acknowledged batch comes
/// back, a torn batch goes, and nothing before it is lost. promtool reads the repaired WAL.
@Suite struct HeadReplayTests {
    /// Appends `batches` batches of floats, histograms and float histograms; the expected
    /// samples after each batch.
    func fill(_ head: Head, batches: Range<Int>, series: Int = 30, into e: inout Expected, perBatch: ((Int, Expected) -> Void)? = nil) throws {
        var gens = (0..<series).map { HistogramSeriesGen(seed: UInt64($0) + 1, gauge: $0 % 9 == 3) }
        for b in batches {
            let app = head.appender()
            let t = Int64(b) * 15_000
            for i in 0..<series {
                let l = seriesLabels(i % 3 == 0 ? "hist" : "float", i)
                switch i % 3 {
                case 0:
                    var h = gens[i].next().1
                    while h.schema == -53 { h = gens[i].next().1 }
                    if i % 2 == 0 {
                        try app.append(l, t, histogram: h)
                        e.add(l, t, .histogram(h))
                    } else {
                        try app.append(l, t, floatHistogram: h.toFloat())
                        e.add(l, t, .floatHistogram(h.toFloat()))
                    }
                default:
                    let v = b % 17 == 0 ? staleNaN : Double(b * i) * 0.25
                    try app.append(l, t, v)
                    e.add(l, t, v)
                }
            }
            let r = try app.commit()
            #expect(r.appended == series && r.rejectedTotal == 0)
            perBatch?(b, e)
        }
    }

    @Test func anUncleanStopKeepsEveryAcknowledgedSample() throws {
        let dir = TestEnv.tempDir("head-b")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var e = Expected()
        do {
            // Dropped without close: the WAL's last page is never padded or fsynced by close.
            let head = try Head.open(dir: dir)
            try fill(head, batches: 0..<50, into: &e)
        }
        let head = try Head.open(dir: dir)
        #expect(head.replay.repaired == nil)
        #expect(head.replay.samples == e.count)
        #expect(firstDifference(try samples(of: head), e.samples) == nil)
        // And on: a second unclean stop, the next segment, the same again.
        try fill(head, batches: 50..<80, into: &e)
        let again = try Head.open(dir: dir)
        #expect(again.replay.segments == [0, 1])
        #expect(firstDifference(try samples(of: again), e.samples) == nil)
        if let promtool = try TestEnv.promtool() {
            #expect(firstDifference(try promtoolDump(promtool, dataDir: dir), e.promtoolText()) == nil)
        }
    }

    /// The last batch torn at several places (inside a fragment's data, inside a header, in
    /// a multi-page record): the replay repairs the segment and has every batch before it.
    @Test(arguments: [1, 6, 100, 5000, 40_000]) func aTornLastBatchIsCutOff(tearBytes: Int) throws {
        let dir = TestEnv.tempDir("head-b")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var before = Expected()
        var sizeBeforeLast: Int64 = 0
        let seg = dir + "/wal/00000000"
        do {
            let head = try Head.open(dir: dir)
            try fill(head, batches: 0..<40, into: &before)
            sizeBeforeLast = try fileSize(seg)
            // The last batch: a series record of 3,000 new series and their samples (many pages).
            let app = head.appender()
            for i in 0..<3000 { try app.append(seriesLabels("late", i), 40 * 15_000, Double(i)) }
            try app.commit()
        }
        let full = try fileSize(seg)
        #expect(full - sizeBeforeLast > 100_000)
        let cut = max(sizeBeforeLast + 1, full - Int64(tearBytes))
        try FileHandle(forWritingTo: URL(fileURLWithPath: seg)).truncate(atOffset: UInt64(cut))
        let head = try Head.open(dir: dir)
        #expect(head.replay.repaired != nil)
        #expect(firstDifference(try samples(of: head), before.samples) == nil)
        // The repaired segment is cut and padded to a page boundary.
        #expect(try fileSize(seg) % Int64(WALFormat.pageSize) == 0 && (try fileSize(seg)) < full)
        try head.close()
        let again = try Head.open(dir: dir)
        #expect(again.replay.repaired == nil)
        #expect(firstDifference(try samples(of: again), before.samples) == nil)
        if let promtool = try TestEnv.promtool() {
            #expect(firstDifference(try promtoolDump(promtool, dataDir: dir), before.promtoolText()) == nil)
        }
    }

    /// Damage in the middle of the WAL (a flipped byte in an older segment): the records
    /// before it are kept, the segments after it go, as Prometheus repairs. Every series then
    /// holds a prefix of what was appended.
    @Test func damageInAnOlderSegmentDropsWhatFollows() throws {
        let dir = TestEnv.tempDir("head-b")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var e = Expected()
        var afterFirst: SampleSet = [:]
        let options = HeadOptions(walSegmentSize: WALFormat.pageSize)
        do {
            let head = try Head.open(dir: dir, options: options)
            try fill(head, batches: 0..<60, series: 60, into: &e) { b, now in if b == 0 { afterFirst = now.samples } }
            try head.close()
        }
        let segs = try WALFormat.segments(in: dir + "/wal")
        #expect(segs.count > 4)
        let victim = WALFormat.segmentPath(dir + "/wal", segs[2])
        var bytes = try readFile(victim)
        bytes[200] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: victim))
        let head = try Head.open(dir: dir, options: options)
        #expect(head.replay.repaired?.contains(WALFormat.segmentName(segs[2])) == true)
        #expect(try WALFormat.segments(in: dir + "/wal") == [0, 1, 2, 3])  // up to the damaged one, then a new one
        let got = try samples(of: head)
        var total = 0
        for (l, lines) in got {
            let all = e.samples[l] ?? []
            #expect(Array(all.prefix(lines.count)) == lines, "\(l) holds a prefix of its samples")
            total += lines.count
        }
        #expect(total < e.count && total >= afterFirst.values.reduce(0) { $0 + $1.count })
        if let promtool = try TestEnv.promtool() {
            let dumped = try promtoolDump(promtool, dataDir: dir)
            var want = Expected()
            want.samples = got
            #expect(firstDifference(dumped, want.promtoolText()) == nil)
        }
    }
}
