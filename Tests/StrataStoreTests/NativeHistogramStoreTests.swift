import Foundation
import Logging
import MetricsTestKit
import StrataBucket
import StrataCore
import StrataObjStore
@testable import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// The gateway over a block a real Prometheus 2.42 wrote with native histograms: histogram
/// and float histogram chunks go out with the Store API's encodings, byte for byte as
/// Prometheus wrote them, and a chunk the Store API cannot carry leaves out only its series.
@Suite struct NativeHistogramStoreTests {
    /// Raw chunk records of the block by series labels (with `extra` labels merged in).
    static func blockChunks(_ dir: String, extra: Labels = Labels()) throws -> [Labels: [(UInt8, [UInt8])]] {
        let block = try BlockReader(dir: dir)
        var out: [Labels: [(UInt8, [UInt8])]] = [:]
        for s in try block.series(matching: [try Matcher(.regexMatch, "__name__", ".+")]) {
            out[s.labels.merging(extra)] = try s.chunks.map { c in
                let (enc, data) = try block.chunks.chunk(c.ref)
                return (enc, Array(data))
            }
        }
        return out
    }

    static func storeEncoding(_ byte: UInt8) -> Thanos_Chunk.Encoding? {
        switch byte {
        case 1: .xor
        case 2: .histogram
        case 3: .floatHistogram
        default: nil
        }
    }

    /// Every series of the block, every chunk's bytes and encoding as written; sample counts
    /// per series equal to what Prometheus's API returns over the same data.
    /// `reencoded`: the chunks were decoded and written again by Strata's encoders, which
    /// write as Prometheus 3.x does: without the zero byte Prometheus 2.x's bit stream left
    /// after a chunk ending on a byte boundary.
    static func expectServedExactly(_ series: [Thanos_Series], _ want: [Labels: [(UInt8, [UInt8])]],
                                    oracle: [NativeHistogramData.Series], extra: Labels, reencoded: Bool = false) {
        #expect(series.count == want.count)
        for s in series {
            let labels = Labels(proto: s.labels)
            guard let chunks = want[labels] else {
                Issue.record("unexpected series \(labels)")
                continue
            }
            #expect(s.chunks.count == chunks.count, "\(labels)")
            for (got, (enc, data)) in zip(s.chunks, chunks) {
                let same = Array(got.raw.data) == data || (reencoded && data.last == 0 && Array(got.raw.data) == data.dropLast())
                #expect(got.hasRaw && got.raw.type == storeEncoding(enc) && same, "\(labels)")
            }
            let samples = s.chunks.reduce(0) { $0 + ChunkConversion.sampleCount($1) }
            if let o = oracle.first(where: { $0.labels.merging(extra) == labels }) {
                #expect(samples == o.floats.count + o.histograms.count, "\(labels)")
            }
        }
    }

    @Test func realPrometheusHistogramBlockIsServedByteForByte() async throws {
        let dir = TestEnv.tempDir("nh-store")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        let ext = ["cluster": "c1"]
        _ = try await BlockUploader(bucket: bucket, logger: Logger(label: "test"))
            .upload(blockDir: NativeHistogramData.blockDir, externalLabels: ext, source: "test")
        let store = Fixtures.store(bucket, dataDir: dir + "/data")
        _ = try await store.sync()
        let want = try Self.blockChunks(NativeHistogramData.blockDir, extra: Labels(ext))
        let oracle = try NativeHistogramData.oracle()
        #expect(oracle.filter { !$0.histograms.isEmpty }.count == 7)
        #expect(want.values.contains { $0.contains { $0.0 == 2 } } && want.values.contains { $0.contains { $0.0 == 3 } })
        let (series, warnings) = try await Fixtures.collect(store, try Fixtures.request(#"{job="nh"}"#))
        #expect(warnings.isEmpty)
        Self.expectServedExactly(series, want, oracle: oracle, extra: Labels(ext))
        // A query in process gets the histogram series as messages, the float ones as bytes.
        let selected = try await Fixtures.expectSelectionMatchesSeries(store, try Fixtures.request(#"{job="nh"}"#))
        #expect(selected.contains { if case .messages = $0.chunks { true } else { false } })
        #expect(selected.contains { if case .xor = $0.chunks { true } else { false } })
        // The same through the Store API over local block directories.
        let local = LocalBlockStore(blocks: [try BlockReader(dir: NativeHistogramData.blockDir)])
        let (ls, lw) = try await Fixtures.collect(local, try Fixtures.request(#"{job="nh"}"#))
        #expect(lw.isEmpty)
        Self.expectServedExactly(ls, try Self.blockChunks(NativeHistogramData.blockDir), oracle: oracle, extra: Labels())
    }

    /// The same block as Prometheus 3.11+ writes it with start-timestamp storage (XOR2,
    /// histogram ST and float histogram ST chunks): the gateway and the local store send the
    /// Store API's encodings, and the chunks are byte for byte the ones Prometheus 2.42 wrote
    /// (but for 2.x's trailing zero byte).
    @Test func startTimestampChunksAreServedAsThePlainOnes() async throws {
        let dir = TestEnv.tempDir("nh-store-st")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let converted = try StartTimestampBlocks.convert(blockDir: NativeHistogramData.blockDir, parentDir: dir)
        let stored = try Self.blockChunks(converted)
        #expect(Set(stored.values.flatMap { $0.map(\.0) }) == [4, 5, 6])
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        let ext = ["cluster": "c1"]
        _ = try await BlockUploader(bucket: bucket, logger: Logger(label: "test"))
            .upload(blockDir: converted, externalLabels: ext, source: "test")
        let store = Fixtures.store(bucket, dataDir: dir + "/data")
        _ = try await store.sync()
        let oracle = try NativeHistogramData.oracle()
        let (series, warnings) = try await Fixtures.collect(store, try Fixtures.request(#"{job="nh"}"#))
        #expect(warnings.isEmpty, "\(warnings)")
        Self.expectServedExactly(series, try Self.blockChunks(NativeHistogramData.blockDir, extra: Labels(ext)), oracle: oracle,
                                 extra: Labels(ext), reencoded: true)
        let local = LocalBlockStore(blocks: [try BlockReader(dir: converted)])
        let (ls, lw) = try await Fixtures.collect(local, try Fixtures.request(#"{job="nh"}"#))
        #expect(lw.isEmpty)
        Self.expectServedExactly(ls, try Self.blockChunks(NativeHistogramData.blockDir), oracle: oracle, extra: Labels(), reencoded: true)
    }

    /// A start-timestamp chunk too damaged to transcode leaves out only its series.
    @Test func corruptStartTimestampChunkLeavesOutOnlyItsSeries() async throws {
        let dir = TestEnv.tempDir("nh-store-st-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try BlockWriter(parentDir: dir, minTime: 0, maxTime: 7_200_000)
        var good = XOR2Appender(), bad = XOR2Appender()
        for i in 0..<100 {
            good.append(st: 1, Int64(i) * 15_000, Double(i))
            bad.append(st: 1, Int64(i) * 15_000, Double(i))
        }
        var broken = bad.bytes
        broken.removeLast(broken.count / 2)
        try w.add(Labels(["__name__": "good"]), chunks: [EncodedChunk(encoding: .xor2, data: good.bytes, minTime: 0, maxTime: 99 * 15_000, numSamples: 100)])
        try w.add(Labels(["__name__": "bad"]), chunks: [EncodedChunk(encoding: .xor2, data: broken, minTime: 0, maxTime: 99 * 15_000, numSamples: 100)])
        let m = try w.commit()
        let local = LocalBlockStore(blocks: [try BlockReader(dir: dir + "/" + m.ulid.description)])
        let (series, warnings) = try await Fixtures.collect(local, try Fixtures.request(#"{__name__=~".+"}"#))
        #expect(series.map { Labels(proto: $0.labels)["__name__"] } == ["good"])
        #expect(warnings.count == 1 && warnings[0].contains("bad") && warnings[0].contains("XOR2 chunk cannot be decoded"), "\(warnings)")
    }

    /// A copy of the block whose first chunk of `series` says encoding 7 (newer than any
    /// Prometheus 3.14 writes), CRC fixed so that only the encoding is "wrong".
    static func blockWithUnknownEncoding(in parent: String, series: Labels) throws -> String {
        let out = parent + "/" + NativeHistogramData.blockID
        try FileManager.default.copyItem(atPath: NativeHistogramData.blockDir, toPath: out)
        let block = try BlockReader(dir: out)
        let s = try #require(try block.series(matching: series.pairs.map { try Matcher(.equal, $0.name, $0.value) }).first)
        let ref = s.chunks[0].ref
        let data = try block.chunks.chunk(ref).data.count
        let path = out + "/chunks/" + SegmentFormat.name(Int(ref >> 32))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var at = Int(ref & 0xFFFF_FFFF)
        while bytes[at] >= 0x80 { at += 1 }  // uvarint length
        at += 1
        bytes[at] = 7
        let crc = CRC32C.checksum(Array(bytes[at..<(at + 1 + data)]))
        let c = at + 1 + data
        bytes[c] = UInt8(crc >> 24); bytes[c + 1] = UInt8(crc >> 16 & 0xFF); bytes[c + 2] = UInt8(crc >> 8 & 0xFF); bytes[c + 3] = UInt8(crc & 0xFF)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return out
    }

    @Test func unreadableEncodingLeavesOutOnlyItsSeries() async throws {
        let dir = TestEnv.tempDir("nh-store-xor2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = Labels(["__name__": "nh_temperature_change", "job": "nh"])
        let blockDir = try Self.blockWithUnknownEncoding(in: dir, series: victim)
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        _ = try await BlockUploader(bucket: bucket, logger: Logger(label: "test"))
            .upload(blockDir: blockDir, externalLabels: ["cluster": "c1"], source: "test")
        let testMetrics = TestMetrics()
        let store = BucketStore(bucket: bucket, config: BucketStore.Config(dataDir: dir + "/data"), metrics: StoreMetrics(factory: testMetrics))
        _ = try await store.sync()
        let all = try Self.blockChunks(blockDir, extra: Labels(["cluster": "c1"]))
        let isVictim = { (l: Labels) in l["__name__"] == "nh_temperature_change" }
        for s in [store as any StoreClient, LocalBlockStore(blocks: [try BlockReader(dir: blockDir)])] {
            let (series, warnings) = try await Fixtures.collect(s, try Fixtures.request(#"{job="nh"}"#))
            #expect(series.count == all.count - 1)
            #expect(!series.contains { isVictim(Labels(proto: $0.labels)) })
            #expect(warnings.count == 1)
            let w = warnings.first ?? ""
            #expect(w.contains(NativeHistogramData.blockID) && w.contains("nh_temperature_change") && w.contains("encoding 7") && w.contains("unknown"), "\(w)")
            // Every other series is whole.
            for got in series {
                let want = all[Labels(proto: got.labels).merging(Labels(["cluster": "c1"]))] ?? all[Labels(proto: got.labels)]
                #expect(got.chunks.map { Array($0.raw.data) } == want?.map(\.1))
            }
        }
        #expect(try testMetrics.expectCounter("strata_bucket_store_unsupported_chunks_total", [("encoding", "7")]).totalValue == 1)
        // The selection for a query in process leaves out the same series with the same warning.
        try await Fixtures.expectSelectionMatchesSeries(store, try Fixtures.request(#"{job="nh"}"#))
    }
}
