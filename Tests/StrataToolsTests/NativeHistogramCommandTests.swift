import Foundation
import StrataTestSupport
import Testing
import StrataCore
import StrataTSDB

/// `strata block verify|dump|rewrite` on the block a real Prometheus 2.42 wrote while
/// scraping native histograms (testdata/native-histograms): XOR, histogram and float
/// histogram chunks side by side.
@Suite struct NativeHistogramCommandTests {
    let strata = TestEnv.strataBinary
    let block = NativeHistogramData.blockDir

    @Test func verifyAndDumpTakeHistogramChunks() throws {
        let v = try TestEnv.run(strata, ["block", "verify", block])
        #expect(v.status == 0, "\(v.stdout) \(v.stderr)")
        let d = try TestEnv.run(strata, ["block", "dump", block])
        #expect(d.status == 0, "\(d.stderr)")
        let lines = d.stdout.split(separator: "\n").map(String.init)
        let meta = try BlockMeta.read(dir: block)
        #expect(UInt64(lines.count) == meta.stats.numSamples)
        let floats = lines.filter { !$0.contains(" {{") }
        let histograms = lines.filter { $0.contains(" {{") }
        #expect(histograms.count > 1000)
        for l in histograms {
            let open = l.range(of: " {{")!.upperBound, close = l.range(of: "}} ")!.lowerBound
            _ = try FloatHistogram(parsingTestNotation: "{{" + String(l[open..<close]) + "}}")
        }
        // promtool 2.42 dumps only the float samples: ours must equal them line for line.
        guard let promtool = try TestEnv.promtool() else { return }
        let theirs = try TestEnv.promtoolDump(promtool, block: block)
        #expect(firstDifference(floats, theirs.split(separator: "\n").map(String.init)) == nil)
    }

    @Test func rewriteKeepsHistogramChunksByteForByte() throws {
        let out = TestEnv.tempDir("nh-rewrite")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try TestEnv.run(strata, ["block", "rewrite", block, out, "--delete", #"{__name__="up"}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let made = try FileManager.default.contentsOfDirectory(atPath: out)
        try #require(made.count == 1)
        let dir = out + "/" + made[0]
        #expect(try TestEnv.run(strata, ["block", "verify", dir]).status == 0)
        let src = try BlockReader(dir: block), dst = try BlockReader(dir: dir)
        let matchers = [try Matcher(.regexMatch, "__name__", "nh.*")]
        let a = try src.series(matching: matchers), b = try dst.series(matching: matchers)
        #expect(a.map(\.labels) == b.map(\.labels))
        var compared = 0
        for (x, y) in zip(a, b) {
            for (cx, cy) in zip(x.chunks, y.chunks) {
                let (ex, dx) = try src.chunks.chunk(cx.ref), (ey, dy) = try dst.chunks.chunk(cy.ref)
                #expect(ex == ey && Array(dx) == Array(dy))
                if ex != ChunkEncoding.xor.rawValue { compared += 1 }
            }
        }
        #expect(compared > 0)
    }
}
