import StrataCore

/// Rewrites Prometheus 3.11+'s start-timestamp chunks (XOR2, histogram ST, float histogram
/// ST) as the encodings without start timestamps, sample for sample and bit for bit in
/// every value. The Store API (like Thanos's and Prometheus 2.x's readers) knows only
/// encodings 1–3, and Strata's engine does not use start timestamps, so stores and the
/// sidecar send these; the blocks in the bucket keep the original chunks.
public enum ChunkTranscoding {
    /// `data` as its encoding without start timestamps; nil when `encoding` already is one
    /// (or is not a start-timestamp encoding). Throws on corrupt data.
    public static func withoutStartTimestamps(encoding: UInt8, _ data: UnsafeRawBufferPointer) throws -> (ChunkEncoding, [UInt8])? {
        switch ChunkEncoding(rawValue: encoding) {
        case .xor2?:
            var it = XOR2Iterator(data)
            var a = XORAppender()
            while it.next() { a.appendBits(it.t, it.vbits) }
            if it.failed { throw DecodeError.invalid(offset: 0, "corrupt XOR2 chunk after \(it.read) of \(it.total) samples") }
            return (.xor, a.bytes)
        case .histogramST?:
            var it = try HistogramChunkIterator(data, startTimestamps: true)
            var e = HistogramChunkEncoder(header: it.header)
            var h = Histogram()
            while try it.next() {
                it.read(into: &h)
                e.append(it.t, h)
            }
            return (.histogram, e.bytes)
        case .floatHistogramST?:
            var it = try FloatHistogramChunkIterator(data, startTimestamps: true)
            var e = FloatHistogramChunkEncoder(header: it.header)
            var h = FloatHistogram()
            while try it.next() {
                it.read(into: &h)
                e.append(it.t, h)
            }
            return (.floatHistogram, e.bytes)
        default:
            return nil
        }
    }
}
