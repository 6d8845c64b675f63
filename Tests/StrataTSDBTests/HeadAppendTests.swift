import Foundation
import MetricsTestKit
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// What the head accepts and refuses, with Prometheus's rules, and that a refused sample
/// never reaches the WAL.
@Suite struct HeadAppendTests {
    let hour: Int64 = 3_600_000

    func rejected(_ m: TestMetrics, _ reason: SampleRejection, _ type: String) throws -> Int64 {
        let c = try m.expectCounter("strata_tsdb_head_rejected_samples_total", [("reason", reason.rawValue), ("type", type)])
        return c.totalValue
    }

    @Test func outOfOrderTooOldAndConflictingSamplesAreRefusedAndCounted() throws {
        let dir = TestEnv.tempDir("head-d")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = TestMetrics()
        let head = try Head.open(dir: dir, metricsFactory: m)
        let a = seriesLabels("a", 1), b = seriesLabels("b", 2)
        let app = head.appender()
        try app.append(a, 10 * hour, 1)
        try app.append(a, 10 * hour + 15_000, 2)
        try app.append(a, 10 * hour + 5_000, 3)       // before the batch's own newer sample
        try app.append(b, 10 * hour, 7)
        try app.append(b, 10 * hour, 7)               // exact repeat: dropped silently
        try app.append(b, 10 * hour, 8)               // same time, other value
        var r = try app.commit()
        #expect(r.appended == 3 && r.duplicates == 1)
        #expect(r.rejected == [.outOfOrder: 1, .duplicateTimestamp: 1])

        try app.append(a, 10 * hour + 14_000, 4)      // behind the committed newest sample
        try app.append(a, 10 * hour + 15_000, 2)      // repeat of the committed newest sample
        try app.append(a, 10 * hour + 15_000, 2.5)
        try app.append(b, 9 * hour, 1)                // more than half a block behind the head
        try app.append(b, 10 * hour - hour / 2, 1)    // within the window, but behind b's newest
        try app.append(b, 10 * hour + 30_000, 9)
        r = try app.commit()
        #expect(r.appended == 1 && r.duplicates == 1)
        #expect(r.rejected == [.outOfOrder: 2, .duplicateTimestamp: 1, .tooOld: 1])
        #expect(try rejected(m, .outOfOrder, "float") == 3)
        #expect(try rejected(m, .tooOld, "float") == 1)
        #expect(try rejected(m, .duplicateTimestamp, "float") == 2)
        #expect(try m.expectCounter("strata_tsdb_head_samples_appended_total", [("type", "float")]).totalValue == 4)

        // Histograms: the same rules, counted with type="histogram".
        var gen = HistogramSeriesGen(seed: 9)
        var hists: [Histogram] = []
        while hists.count < 3 { let (_, h) = gen.next(); if h.schema != -53 && !isStaleNaN(h.sum) { hists.append(h) } }
        let h = seriesLabels("h", 3)
        try app.append(h, 10 * hour, histogram: hists[0])
        try app.append(h, 10 * hour + 1000, histogram: hists[1])
        try app.append(h, 10 * hour + 500, histogram: hists[2])
        try app.append(h, 10 * hour + 1000, histogram: hists[1])
        try app.append(h, 10 * hour + 1000, histogram: hists[2])
        r = try app.commit()
        #expect(r.appended == 2 && r.duplicates == 1 && r.rejected == [.outOfOrder: 1, .duplicateTimestamp: 1])
        #expect(try rejected(m, .outOfOrder, "histogram") == 1)

        let want = try samples(of: head)
        #expect(want[a]?.count == 2 && want[b]?.count == 2 && want[h]?.count == 2)
        // Nothing refused reached the WAL: a replay rebuilds exactly the accepted samples.
        try head.close()
        let again = try Head.open(dir: dir)
        #expect(firstDifference(try samples(of: again), want) == nil)
        #expect(again.replay.outOfOrder == 0 && again.replay.samples == 6)
    }

    @Test func nothingOlderThanTheLastBlockIsAccepted() throws {
        let dir = TestEnv.tempDir("head-d")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir)
        let app = head.appender()
        for k in 0..<20 { try app.append(seriesLabels("m", 0), Int64(k) * 15 * 60_000, Double(k)) }
        try app.commit()
        let blocks = try head.cutBlocks()
        #expect(blocks.map(\.maxTime) == [2 * hour])
        // Behind the block, and (for a new series) within the appendable window.
        try app.append(seriesLabels("m", 1), 2 * hour - 1, 1)
        try app.append(seriesLabels("m", 1), 19 * 15 * 60_000 - hour / 2, 1)
        let r = try app.commit()
        #expect(r.rejected == [.tooOld: 1] && r.appended == 1)
        try head.close()
        // After a restart the block still bounds what is accepted (and replayed).
        let again = try Head.open(dir: dir)
        #expect(again.stats.minValidTime == 2 * hour)
        let app2 = again.appender()
        try app2.append(seriesLabels("m", 2), 2 * hour - 1, 1)
        #expect(try app2.commit().rejected == [.tooOld: 1])
    }

    @Test func refusedAppendsThrow() throws {
        let dir = TestEnv.tempDir("head-d")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir)
        let app = head.appender()
        #expect(throws: HeadError.emptyLabels) { try app.append(Labels(), 1, 1) }
        #expect(throws: HeadError.unknownSeriesRef(42)) { try app.append(ref: 42, 1, 1) }
        var nhcb = Histogram(schema: -53, count: 1, positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [1])
        nhcb.customValues = [1]
        #expect(throws: HeadError.customBucketsUnsupported) { try app.append(seriesLabels("x", 1), 1, histogram: nhcb) }
        let bad = Histogram(count: 1, positiveSpans: [HistogramSpan(offset: 0, length: 2)], positiveBuckets: [1])
        #expect(throws: HeadError.self) { try app.append(seriesLabels("x", 1), 1, histogram: bad) }
        #expect(app.count == 0)
        // By ref once the series exists.
        let ref = try app.append(seriesLabels("x", 1), 1, 1)
        try app.append(ref: ref, 2, 2)
        #expect(try app.commit().appended == 2)
        #expect(head.ref(for: seriesLabels("x", 1)) == ref)
        try head.close()
        #expect(throws: HeadError.closed) { try app.append(seriesLabels("x", 1), 3, 3); try app.commit() }
    }

    /// A float stale marker on a histogram series becomes a histogram stale marker (as in
    /// Prometheus), so the series' chunk is not cut for it.
    @Test func staleMarkerOnAHistogramSeries() throws {
        let dir = TestEnv.tempDir("head-d")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir)
        let app = head.appender()
        let l = seriesLabels("h", 1)
        var gen = HistogramSeriesGen(seed: 4)
        var h = gen.next().1
        while isStaleNaN(h.sum) || h.schema == -53 { h = gen.next().1 }
        try app.append(l, 1000, histogram: h)
        try app.commit()
        try app.append(l, 2000, staleNaN)
        try app.commit()
        var chunks: [EncodedChunk] = []
        head.forEachSeries { _, c in chunks = c }
        #expect(chunks.count == 1 && chunks[0].encoding == .histogram && chunks[0].numSamples == 2)
        let decoded = try decode(chunks)
        #expect(canonical(decoded[1].1) == "H stale")
    }
}
