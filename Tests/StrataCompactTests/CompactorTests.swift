import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

@Suite struct CompactorTests {
    /// Prometheus-written blocks compacted into one: promtool reads the result and every
    /// sample of the inputs is there, once.
    @Test func compactsPrometheusBlocksLosslessly() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let inputs = try TestEnv.promBlocks()
        let out = TestEnv.tempDir("compact")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let meta = try BlockCompactor.compact(blockDirs: inputs, outParentDir: out)
        let dir = out + "/" + meta.ulid.description
        #expect(meta.compaction.level == 2)
        #expect(meta.compaction.sources.count == 4 && meta.compaction.parents.count == 4)
        #expect(meta.thanos?.source == "compactor")
        var want: [String] = []
        for d in inputs { want += try TestEnv.promtoolDump(promtool, block: d).split(separator: "\n").map(String.init) }
        want.sort { a, b in
            let c = Labels.compare(try! parseDumpLabels(a), try! parseDumpLabels(b))
            return c != 0 ? c < 0 : Int64(a.split(separator: " ").last!)! < Int64(b.split(separator: " ").last!)!
        }
        let got = try TestEnv.promtoolDump(promtool, block: dir).split(separator: "\n").map(String.init)
        #expect(firstDifference(got, want) == nil)
        var v = BlockVerifier(dir: dir)
        #expect(v.run().map(\.description) == [])
        let inputSamples = try inputs.reduce(UInt64(0)) { $0 + (try BlockMeta.read(dir: $1)).stats.numSamples }
        #expect(meta.stats.numSamples == inputSamples)
    }

    @Test func overlappingBlocksAreMergedAndDeduplicated() throws {
        let parent = TestEnv.tempDir("overlap")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let l = Labels(["__name__": "m"])
        let a = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 100_000)
        try a.add(l, timestamps: [10_000, 20_000, 30_000], values: [1, 2, 3])
        let ma = try a.commit()
        let b = try BlockWriter(parentDir: parent, minTime: 50_000 - 25_000, maxTime: 200_000)
        try b.add(l, timestamps: [30_000, 40_000, 150_000], values: [99, 4, 5])
        try b.add(Labels(["__name__": "only_b"]), timestamps: [60_000], values: [7])
        let mb = try b.commit()
        let out = TestEnv.tempDir("overlap-out")
        let m = try BlockCompactor.compact(blockDirs: [ma, mb].map { parent + "/" + $0.ulid.description }, outParentDir: out)
        #expect(m.minTime == 0 && m.maxTime == 200_000)
        let text = try SampleDump.text(try BlockReader(dir: out + "/" + m.ulid.description))
        #expect(text == """
        {__name__="m"} 1 10000
        {__name__="m"} 2 20000
        {__name__="m"} 3 30000
        {__name__="m"} 4 40000
        {__name__="m"} 5 150000
        {__name__="only_b"} 7 60000

        """)
    }

    @Test func refusesMixedExternalLabels() throws {
        let parent = TestEnv.tempDir("mixed")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        var dirs: [String] = []
        for r in ["a", "b"] {
            let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 1000)
            try w.add(Labels(["x": "1"]), timestamps: [1], values: [1])
            let m = try w.commit { $0.thanos = ThanosMeta(labels: ["replica": r]) }
            dirs.append(parent + "/" + m.ulid.description)
        }
        #expect(throws: TSDBError.self) { try BlockCompactor.compact(blockDirs: dirs, outParentDir: parent) }
    }
}
