import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// The other side: a WAL written by a real Prometheus 2.42 (scraping itself and a native
/// histogram target, snappy-compressed records as 2.42 writes by default) replays into a
/// Strata head holding exactly what Prometheus itself replays from it — checked against
/// `promtool tsdb dump` (floats) and a snapshot of a second Prometheus started on the same
/// WAL (every sample, histograms included).
@Suite(.serialized) struct PrometheusWALTests {
    @Test func strataReplaysAWALWrittenByPrometheus() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        guard let target = try NativeHistogramTarget.start() else { return }
        defer { target.stop() }
        guard let writer = try PrometheusServer.start(blocks: [], externalLabels: [:], scrapeSelf: true,
                                                      scrapeTargets: ["nh": target.address], features: ["native-histograms"]) else { return }
        // 1 s scrapes (the first about 5 s after start, when 2.42's scrape manager applies its
        // targets) for about 7 s, then a clean stop (SIGTERM).
        Thread.sleep(forTimeInterval: 12)
        writer.stop()

        let dir = TestEnv.tempDir("prom-wal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: writer.dataDir + "/wal", toPath: dir + "/wal")
        // Prometheus's records are snappy-compressed: the reader must have met some.
        var compressed = 0
        for s in try WALFormat.segments(in: dir + "/wal") {
            let bytes = try readFile(WALFormat.segmentPath(dir + "/wal", s))
            var p = 0
            while p + 7 <= bytes.count {
                let type = bytes[p] & 7
                if type == 0 { p = (p / WALFormat.pageSize + 1) * WALFormat.pageSize; continue }
                if bytes[p] & 8 != 0 { compressed += 1 }
                p += 7 + (Int(bytes[p + 1]) << 8 | Int(bytes[p + 2]))
            }
        }
        #expect(compressed > 0)

        let theirDump = try promtoolDump(promtool, dataDir: dir)
        let head = try Head.open(dir: dir)
        let ours = try samples(of: head)
        try head.close()
        #expect(head.replay.repaired == nil && head.replay.unknownRefs == 0)
        #expect(head.replay.samples > 1000, "\(head.replay)")
        var hasHistograms = false
        for lines in ours.values where lines.contains(where: { $0.contains(" H ") || $0.contains(" FH ") }) { hasHistograms = true }
        #expect(hasHistograms)
        var e = Expected()
        e.samples = ours
        #expect(firstDifference(theirDump, e.promtoolText()) == nil)

        // A second Prometheus on the original WAL: its snapshot is the oracle for every sample.
        let original = TestEnv.tempDir("prom-wal-orig")
        defer { try? FileManager.default.removeItem(atPath: original) }
        try FileManager.default.copyItem(atPath: writer.dataDir + "/wal", toPath: original + "/wal")
        guard let reader = try PrometheusServer.start(blocks: [], externalLabels: [:], features: ["native-histograms"],
                                                      copyingDataDir: original, adminAPI: true) else { return }
        defer { reader.stop() }
        let snap = try blockSamples(try reader.snapshot())
        #expect(firstDifference(snap, ours) == nil)
    }
}
