import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// The WAL's page and fragment layout and record encodings, on their own. That Prometheus
/// reads what these write is checked with promtool and a real Prometheus (HeadPromtoolTests,
/// PrometheusWALTests).
@Suite struct WALTests {
    func readAll(_ dir: String) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for s in try WALFormat.segments(in: dir) {
            var r = try WALSegmentReader(path: WALFormat.segmentPath(dir, s), segment: s)
            while try r.next() { out.append(r.record) }
        }
        return out
    }

    func record(_ n: Int, seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    @Test(arguments: [false, true]) func recordsOfEverySizeComeBackInOrder(compress: Bool) throws {
        let dir = TestEnv.tempDir("wal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 4-page segments: records cross pages and, when too big for what is left, segments.
        let w = try WALWriter(dir: dir, segmentSize: 4 * WALFormat.pageSize, compress: compress)
        let page = WALFormat.pageSize, hdr = WALFormat.fragmentHeaderSize
        let sizes = [0, 1, 100, page - hdr, page - hdr + 1, page, 3 * page + 17, 2 * page, 6 * page, 5, page - 2 * hdr]
        var written: [[UInt8]] = []
        for (i, n) in sizes.enumerated() {
            let r = record(n, seed: UInt8(i))
            written.append(r)
            try w.log([r])
        }
        try w.log([record(10, seed: 1), record(40_000, seed: 2), record(3, seed: 3)])
        written += [record(10, seed: 1), record(40_000, seed: 2), record(3, seed: 3)]
        try w.close()
        #expect(try readAll(dir) == written)
        let segs = try WALFormat.segments(in: dir)
        if !compress { #expect(segs.count >= 4, "records too big for the rest of a segment start the next one: \(segs)") }
        for s in segs { #expect(try fileSize(WALFormat.segmentPath(dir, s)) % Int64(page) == 0, "segments end on a page boundary") }
    }

    /// The bytes of one small record, as Prometheus's `wlog.WL.log` lays them out.
    @Test func fragmentLayoutIsPrometheuss() throws {
        let dir = TestEnv.tempDir("wal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try WALWriter(dir: dir)
        try w.log([[1, 2, 3]])
        let unpadded = try readFile(WALFormat.segmentPath(dir, 0))
        // full fragment, length 3, CRC32C of the data, data; the page is not padded yet.
        let crc = CRC32C.checksum([1, 2, 3])
        #expect(unpadded == [1, 0, 3, UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF), 1, 2, 3])
        try w.close()
        let padded = try readFile(WALFormat.segmentPath(dir, 0))
        #expect(padded.count == WALFormat.pageSize && padded[10...].allSatisfy { $0 == 0 })
        #expect(WALFormat.segmentName(0) == "00000000" && WALFormat.segmentName(123) == "00000123")
        // A new writer never appends to an old segment.
        let w2 = try WALWriter(dir: dir)
        #expect(w2.segment == 1)
    }

    /// A damaged record is reported at its first fragment, so cutting there keeps every
    /// record before it.
    @Test func damageIsReportedWhereTheRecordStarts() throws {
        let dir = TestEnv.tempDir("wal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try WALWriter(dir: dir)
        try w.log([record(100, seed: 1)])
        try w.log([record(70_000, seed: 2)])  // three fragments
        try w.log([record(50, seed: 3)])
        let path = WALFormat.segmentPath(dir, 0)
        let bytes = try readFile(path)
        let secondStart = 7 + 100
        func corruption(_ b: [UInt8]) -> WALCorruption? {
            try? FileManager.default.removeItem(atPath: path)
            _ = FileManager.default.createFile(atPath: path, contents: Data(b))
            var r = try! WALSegmentReader(path: path, segment: 0)
            do {
                while try r.next() {}
                return nil
            } catch {
                return error
            }
        }
        // Torn inside the second record's last fragment: reported at its first fragment.
        #expect(corruption(Array(bytes[..<(2 * WALFormat.pageSize + 100)]))?.offset == secondStart)
        // Torn inside a fragment header.
        #expect(corruption(Array(bytes[..<(secondStart + 3)]))?.offset == secondStart)
        // A flipped bit in the middle fragment's data.
        var flipped = bytes
        flipped[WALFormat.pageSize + 500] ^= 0x10
        #expect(corruption(flipped)?.offset == secondStart)
        // A flipped bit in the last record.
        var last = bytes
        last[bytes.count - 3] ^= 1
        let c = corruption(last)
        #expect(c != nil && c!.offset > secondStart)
        // Garbage in the padding of a page.
        var padding = bytes
        padding += [UInt8](repeating: 0, count: 3 * WALFormat.pageSize - bytes.count)
        padding[padding.count - 5] = 9
        #expect(corruption(padding)?.reason.contains("non-zero") == true)
        // Intact: no corruption.
        #expect(corruption(bytes) == nil)
    }

    @Test func repairCutsTheTornRecordAndDropsLaterSegments() throws {
        let dir = TestEnv.tempDir("wal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try WALWriter(dir: dir)
        try w.log([record(100, seed: 1)])
        try w.log([record(70_000, seed: 2)])
        try w.nextSegment()
        try w.log([record(10, seed: 4)])
        let path = WALFormat.segmentPath(dir, 0)
        let bytes = try readFile(path)
        // Cut inside the second record's last fragment (its third page).
        try Data(bytes[..<(2 * WALFormat.pageSize + 2000)]).write(to: URL(fileURLWithPath: path))
        var r = try WALSegmentReader(path: path, segment: 0)
        var damage: WALCorruption?
        do { while try r.next() {} } catch { damage = error }
        let c = try #require(damage)
        try WALRepair.repair(walDir: dir, c)
        #expect(try WALFormat.segments(in: dir) == [0])
        #expect(try readAll(dir) == [record(100, seed: 1)])
        #expect(try fileSize(path) == Int64(WALFormat.pageSize))
    }

    /// A batch that cannot be written (here: a segment that is /dev/full) leaves nothing
    /// behind: the WAL is cut back to where the batch began and takes the next batch.
    @Test func aFailedBatchIsCutOffAndTheNextOneWritten() throws {
        let dir = TestEnv.tempDir("wal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try WALWriter(dir: dir, segmentSize: 2 * WALFormat.pageSize)
        try w.log([record(1000, seed: 1)])
        try w.log([record(2000, seed: 2)])
        // The next segment is the full device: a record too big for segment 0 fails there.
        try FileManager.default.createSymbolicLink(atPath: WALFormat.segmentPath(dir, 1), withDestinationPath: "/dev/full")
        #expect(throws: TSDBError.self) { try w.log([record(500, seed: 3), record(70_000, seed: 4)]) }
        #expect(w.segment == 0)
        try w.log([record(300, seed: 5)])
        try w.close()
        #expect(try readAll(dir) == [record(1000, seed: 1), record(2000, seed: 2), record(300, seed: 5)])
    }

    @Test func recordsRoundTripAndEncodeAsPrometheusDoes() throws {
        let series = [WALSeries(ref: 1, labels: Labels(["__name__": "up", "job": "a"])),
                      WALSeries(ref: 300, labels: Labels(["__name__": "x", "le": "+Inf", "v": "ü\n\"q\""]))]
        var w = ByteWriter()
        WALEncoder.series(series, into: &w)
        // type, BE64 ref, uvarint label count, then uvarint-prefixed strings.
        #expect(Array(w.bytes[0..<12]) == [1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 8] + Array("_".utf8))
        var s2: [WALSeries] = []
        try WALDecoder.series(w.bytes, into: &s2)
        #expect(s2 == series)

        let samples = [WALSample(ref: 7, t: 1000, v: 1.5), WALSample(ref: 5, t: 999, v: staleNaN), WALSample(ref: 9, t: 61_000, v: -.infinity)]
        w = ByteWriter()
        WALEncoder.samples(samples, into: &w)
        // type, BE64 first ref, BE64 first t, then per sample varint Δref, varint Δt, BE64 value.
        var want = ByteWriter()
        want.u8(2); want.be64(7); want.be64(1000)
        for s in samples { want.varint(Int64(s.ref) - 7); want.varint(s.t - 1000); want.be64(s.v.bitPattern) }
        #expect(w.bytes == want.bytes)
        var s3: [WALSample] = []
        try WALDecoder.samples(w.bytes, into: &s3)
        #expect(s3 == samples)

        var gen = HistogramSeriesGen(seed: 3)
        var hs: [WALHistogramSample] = []
        for i in 0..<50 {
            let (t, h) = gen.next()
            if h.schema != -53 { hs.append(WALHistogramSample(ref: UInt64(i % 3 + 1), t: t, h: h)) }
        }
        w = ByteWriter()
        WALEncoder.histogramSamples(hs, into: &w)
        var hs2: [WALHistogramSample] = []
        try WALDecoder.histogramSamples(w.bytes, into: &hs2)
        #expect(hs2.count == hs.count)
        for (a, b) in zip(hs, hs2) { #expect(a.ref == b.ref && a.t == b.t && canonical(.histogram(a.h)) == canonical(.histogram(b.h)) && a.h.counterResetHint == b.h.counterResetHint) }

        let fhs = hs.map { WALFloatHistogramSample(ref: $0.ref, t: $0.t, h: $0.h.toFloat()) }
        w = ByteWriter()
        WALEncoder.floatHistogramSamples(fhs, into: &w)
        var fhs2: [WALFloatHistogramSample] = []
        try WALDecoder.floatHistogramSamples(w.bytes, into: &fhs2)
        #expect(fhs2.map { canonical(.floatHistogram($0.h)) } == fhs.map { canonical(.floatHistogram($0.h)) })

        let stones = [WALTombstone(ref: 3, minTime: -5, maxTime: 100)]
        w = ByteWriter()
        WALEncoder.tombstones(stones, into: &w)
        var st2: [WALTombstone] = []
        try WALDecoder.tombstones(w.bytes, into: &st2)
        #expect(st2 == stones)

        // An empty samples record is the type byte alone; trailing garbage is an error.
        w = ByteWriter()
        WALEncoder.samples([], into: &w)
        #expect(w.bytes == [2])
        #expect(throws: (any Error).self) { var x: [WALSample] = []; try WALDecoder.samples([2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0], into: &x) }
    }
}
