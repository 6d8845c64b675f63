import Testing
import Foundation
import StrataCore
@testable import StrataTSDB

@Suite struct HistogramBlockTests {
    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "strata-hist-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A block with a float series, an integer histogram series, a float histogram series
    /// and one series that switches from floats to histograms.
    func makeBlock(_ parent: String) throws -> (dir: String, ints: [(Int64, Histogram)], floats: [(Int64, FloatHistogram)]) {
        var g = HistogramSeriesGen(seed: 7)
        var ints: [(Int64, Histogram)] = []
        for _ in 0..<300 { ints.append(g.next()) }
        var fg = HistogramSeriesGen(seed: 8, gauge: true)
        var floats: [(Int64, FloatHistogram)] = []
        for _ in 0..<200 { let (t, h) = fg.next(); floats.append((t, h.toFloat())) }
        let lo = min(ints[0].0, floats[0].0) - 100_000
        let w = try BlockWriter(parentDir: parent, minTime: lo, maxTime: lo + 7_200_000 * 4)
        try w.add(Labels(["__name__": "h"]), timestamps: ints.map(\.0), histograms: ints.map(\.1))
        try w.add(Labels(["__name__": "fh"]), timestamps: floats.map(\.0), floatHistograms: floats.map(\.1))
        try w.add(Labels(["__name__": "f"]), timestamps: [lo, lo + 1000], values: [1, 2.5])
        var mixed = EncodedChunk.xorChunks(timestamps: [lo, lo + 1000], values: [3, 4])
        mixed += try EncodedChunk.histogramChunks(timestamps: [lo + 2000, lo + 3000], histograms: [ints[0].1, ints[1].1])
        try w.add(Labels(["__name__": "mixed"]), chunks: mixed)
        let meta = try w.commit()
        return (parent + "/" + meta.ulid.description, ints, floats)
    }

    @Test func readsDumpsAndVerifiesHistogramBlocks() throws {
        let parent = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let (dir, ints, floats) = try makeBlock(parent)
        let block = try BlockReader(dir: dir)
        var v = BlockVerifier(dir: dir)
        #expect(v.run().isEmpty)
        #expect(v.samples == 300 + 200 + 2 + 4)

        let h = try block.series(matching: [try Matcher(.equal, "__name__", "h")])[0]
        var ts: [Int64] = [], vs: [Double] = []
        do {
            try block.samples(of: h, into: &ts, &vs)
            Issue.record("float read of a histogram series succeeded")
        } catch TSDBError.unsupportedEncoding(_, let series, let enc) {
            #expect(series == h.labels && enc == 2)
        }
        var hts: [Int64] = [], hs: [FloatHistogram] = []
        try block.histogramSamples(of: h, into: &hts, &hs)
        #expect(hts == ints.map(\.0))
        for (i, x) in hs.enumerated() { #expect(sameMeaning(x, ints[i].1.toFloat()), "sample \(i)") }

        let fh = try block.series(matching: [try Matcher(.equal, "__name__", "fh")])[0]
        var got: [(Int64, FloatHistogram)] = []
        try block.forEachSample(of: fh) { t, v in
            guard case .floatHistogram(let x) = v else { Issue.record("kind"); return }
            got.append((t, x))
        }
        #expect(got.count == floats.count)
        for (i, x) in got.enumerated() { #expect(x.0 == floats[i].0 && sameMeaning(x.1, floats[i].1)) }

        let mixed = try block.series(matching: [try Matcher(.equal, "__name__", "mixed")])[0]
        var kinds: [String] = []
        try block.forEachSample(of: mixed) { _, v in
            switch v {
            case .float: kinds.append("f")
            case .histogram: kinds.append("h")
            case .floatHistogram: kinds.append("fh")
            }
        }
        #expect(kinds == ["f", "f", "h", "h"])

        // The dump prints every series, histograms in test notation that parses back.
        let dump = try SampleDump.text(block)
        let lines = dump.split(separator: "\n")
        #expect(lines.count == 506)
        #expect(lines.contains { $0.hasPrefix("{__name__=\"f\"} 2.5 ") })
        for line in lines where line.contains("{{") {
            let open = line.range(of: "{{")!.lowerBound, close = line.range(of: "}}")!.upperBound
            let parsed = try FloatHistogram(parsingTestNotation: String(line[open..<close]))
            #expect(parsed.count >= 0)
        }
        let firstH = lines.first { $0.hasPrefix("{__name__=\"h\"}") }!
        #expect(firstH.hasSuffix(" \(ints[0].0)"))
    }

    @Test func corruptHistogramChunkNamesFileAndOffset() throws {
        let parent = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let (dir, _, _) = try makeBlock(parent)
        // Damage the first histogram chunk's data and fix up its CRC so only decoding fails.
        let block0 = try BlockReader(dir: dir)
        let h = try block0.series(matching: [try Matcher(.equal, "__name__", "h")])[0]
        let ref = h.chunks[0].ref
        let path = dir + "/chunks/000001"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let off = Int(ref & 0xFFFF_FFFF)
        var len = 0, shift = 0, p = off
        while true { let b = bytes[p]; len |= Int(b & 0x7F) << shift; p += 1; if b < 0x80 { break }; shift += 7 }
        let dataStart = p + 1
        for k in (dataStart + 6)..<(dataStart + len) { bytes[k] = 0xFF }
        let crc = CRC32C.checksum(Array(bytes[p..<(dataStart + len)]))
        bytes[dataStart + len] = UInt8(crc >> 24); bytes[dataStart + len + 1] = UInt8((crc >> 16) & 0xFF)
        bytes[dataStart + len + 2] = UInt8((crc >> 8) & 0xFF); bytes[dataStart + len + 3] = UInt8(crc & 0xFF)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let block = try BlockReader(dir: dir)
        var hts: [Int64] = [], hs: [FloatHistogram] = []
        do {
            try block.histogramSamples(of: h, into: &hts, &hs)
            Issue.record("corrupt chunk decoded")
        } catch TSDBError.corrupt(let file, let offset, let msg) {
            #expect(file.hasSuffix("chunks/000001"))
            #expect(offset >= dataStart && offset <= dataStart + len, "\(offset) \(msg)")
        }
        var v = BlockVerifier(dir: dir)
        let problems = v.run()
        #expect(problems.contains { $0.message.contains("corrupt histogram chunk") })
    }
}
