import StrataCore
import StrataTSDB

/// Blocks as a Prometheus 3.11+ with start-timestamp storage writes them, made from blocks
/// in the encodings without: every chunk re-encoded one to one (same boundaries, samples and
/// counter-reset headers) as XOR2, histogram ST or float histogram ST, with start timestamps
/// in a few patterns. No Prometheus 3 runs here; the chunk encoders are the ones checked
/// field by field against Prometheus's format in StartTimestampChunkTests.
public enum StartTimestampBlocks {
    /// The start timestamp given to sample `i` at `t` of the `chunk`-th chunk written: none
    /// for every fourth chunk, a constant for the next, then one that moves every few samples.
    public static func startTimestamp(chunk: Int, sample i: Int, t: Int64) -> Int64 {
        switch chunk % 4 {
        case 0: 0
        case 1: 1_000  // the same for every sample
        default: t - Int64(1000 * (i / 3 + 1))
        }
    }

    /// Writes the converted copy of `blockDir` into `parentDir`; its directory.
    public static func convert(blockDir: String, parentDir: String) throws -> String {
        let src = try BlockReader(dir: blockDir)
        let w = try BlockWriter(parentDir: parentDir, minTime: src.meta.minTime, maxTime: src.meta.maxTime)
        var n = 0
        try src.forEachSeries(matching: []) { s in
            var list: [EncodedChunk] = []
            for c in s.chunks {
                let (enc, data) = try src.chunks.chunk(c.ref)
                let (e, bytes) = try reencode(enc, data, chunk: n)
                n += 1
                list.append(EncodedChunk(encoding: e, data: bytes, minTime: c.minTime, maxTime: c.maxTime,
                                         numSamples: try bytes.withUnsafeBytes { try e.sampleCount($0) }))
            }
            try w.add(s.labels, chunks: list)
        }
        let m = try w.commit { m in
            m.thanos = src.meta.thanos
            m.thanos?.files = []
        }
        return parentDir + "/" + m.ulid.description
    }

    static func reencode(_ enc: UInt8, _ data: UnsafeRawBufferPointer, chunk: Int) throws -> (ChunkEncoding, [UInt8]) {
        switch ChunkEncoding(rawValue: enc) {
        case .xor?:
            var it = XORIterator(data)
            var a = XOR2Appender()
            var i = 0
            while it.next() {
                a.append(st: startTimestamp(chunk: chunk, sample: i, t: it.t), it.t, it.v)
                i += 1
            }
            return (.xor2, a.bytes)
        case .histogram?:
            var it = try HistogramChunkIterator(data)
            var e = HistogramChunkEncoder(header: it.header, startTimestamps: true)
            var h = Histogram()
            while try it.next() {
                it.read(into: &h)
                e.append(st: startTimestamp(chunk: chunk, sample: it.read - 1, t: it.t), it.t, h)
            }
            return (.histogramST, e.bytes)
        case .floatHistogram?:
            var it = try FloatHistogramChunkIterator(data)
            var e = FloatHistogramChunkEncoder(header: it.header, startTimestamps: true)
            var h = FloatHistogram()
            while try it.next() {
                it.read(into: &h)
                e.append(st: startTimestamp(chunk: chunk, sample: it.read - 1, t: it.t), it.t, h)
            }
            return (.floatHistogramST, e.bytes)
        default:
            throw TSDBError.invalidArgument("chunk encoding \(enc) has no start-timestamp counterpart")
        }
    }
}
