import Foundation
import StrataCore
import StrataPromQL
import StrataStoreAPI
import StrataTSDB

/// Turns the chunks of one Store API series into the engine's sample columns.
///
/// Raw chunks are decoded as they are. Downsampled chunks carry only the aggregates that were
/// asked for: one aggregate is used directly (COUNTER through Thanos's counter-reset applier,
/// so resets across chunk boundaries survive), COUNT+SUM become per-window averages. Chunks
/// may overlap (overlapping blocks, several resolutions): overlapping samples are merged by
/// timestamp, the first chunk's sample winning. Samples outside [minTime, maxTime] are cut.
public enum SeriesDecoding {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The series holds chunks this querier cannot decode (an unknown encoding): the querier leaves out this one series with a
    /// warning instead of failing the query.
    public struct Unsupported: Error, CustomStringConvertible, Sendable {
        public let encoding: Thanos_Chunk.Encoding
        public let description: String
    }

    /// The float samples and native histogram samples of the series within [minTime, maxTime].
    public static func decodeSeries(_ chunks: [Thanos_AggrChunk], aggregates: [Thanos_Aggr], labels: Labels,
                                    minTime: Int64 = .min, maxTime: Int64 = .max) throws -> StorageSeries {
        var histogramChunks: [Thanos_AggrChunk] = []
        var floatChunks: [Thanos_AggrChunk] = []
        for c in chunks {
            if c.hasRaw, c.raw.type == .histogram || c.raw.type == .floatHistogram {
                histogramChunks.append(c)
            } else if !c.hasRaw, isHistogramAggregate(c, aggregates) {
                histogramChunks.append(c)
            } else {
                floatChunks.append(c)
            }
        }
        let floats = try decode(floatChunks, aggregates: aggregates, labels: labels, minTime: minTime, maxTime: maxTime)
        var hists = HistogramColumns()
        for c in histogramChunks.sorted(by: { $0.minTime < $1.minTime }) {
            if c.maxTime < minTime || c.minTime > maxTime { continue }
            let decoded = c.hasRaw ? try histograms(c.raw, labels, minTime: minTime, maxTime: maxTime)
                : try histogramAggregate(c, aggregates: aggregates, labels: labels, minTime: minTime, maxTime: maxTime)
            hists = hists.isEmpty ? decoded : SeriesMerge.chain(hists, decoded)
        }
        return StorageSeries(labels: labels, samples: floats, histograms: hists)
    }

    /// Whether a downsampled chunk aggregates native histograms: a requested sub-chunk is a
    /// histogram chunk (sum and counter of histogram series are; Thanos
    /// `isHistogramAggrChunk`). COUNT alone (always XOR) is read as floats, as in Thanos.
    static func isHistogramAggregate(_ c: Thanos_AggrChunk, _ aggregates: [Thanos_Aggr]) -> Bool {
        let wanted = aggregates.isEmpty ? [.count, .sum] : aggregates
        return wanted.contains { a in
            guard let x = c.chunk(for: a) else { return false }
            return x.type == .histogram || x.type == .floatHistogram
        }
    }

    /// The histogram samples of a downsampled native histogram chunk, as Thanos's querier
    /// reads them (pkg/query/iter.go `chunkSeries.Iterator`): COUNTER gives the running
    /// counter histograms as stored (Thanos's counter-reset applier passes histograms through;
    /// the engine detects resets between them), SUM the window sums, and COUNT+SUM (every
    /// other function) the window averages `sum / count` (Thanos `AverageChunkIterator`).
    static func histogramAggregate(_ c: Thanos_AggrChunk, aggregates: [Thanos_Aggr], labels: Labels,
                                   minTime: Int64, maxTime: Int64) throws -> HistogramColumns {
        if aggregates.count == 1, let only = aggregates.first {
            guard let sub = c.chunk(for: only) else { throw missing(only, labels) }
            guard sub.type == .histogram || sub.type == .floatHistogram else {
                throw Failure(description: "series \(labels): \(only) aggregate of a downsampled histogram chunk is \(sub.type)")
            }
            return try histograms(sub, labels, minTime: minTime, maxTime: maxTime)
        }
        guard c.hasCount else { throw missing(.count, labels) }
        guard c.hasSum else { throw missing(.sum, labels) }
        var ct: [Int64] = [], cv: [Double] = []
        try xor(c.count, labels, &ct, &cv)
        var sums = try histograms(c.sum, labels, minTime: .min, maxTime: .max)
        guard sums.timestamps == ct else {
            throw Failure(description: "series \(labels): count and sum aggregates of a downsampled chunk have different timestamps")
        }
        var out = HistogramColumns()
        for k in ct.indices where ct[k] >= minTime && ct[k] <= maxTime {
            sums.histograms[k].div(cv[k])
            out.timestamps.append(ct[k])
            out.histograms.append(sums.histograms[k])
        }
        return out
    }

    /// Decodes a histogram (encoding 2) or float histogram (encoding 3) chunk: counts as
    /// floats, the counter-reset hint from the chunk header as Prometheus's iterators set it.
    static func histograms(_ chunk: Thanos_Chunk, _ labels: Labels, minTime: Int64, maxTime: Int64) throws -> HistogramColumns {
        let result: Result<HistogramColumns, any Error> = chunk.data.withUnsafeBytes { raw in
            Result { try histogramSamples(raw, float: chunk.type == .floatHistogram, minTime: minTime, maxTime: maxTime) }
        }
        do {
            return try result.get()
        } catch {
            throw Failure(description: "series \(labels): corrupt \(chunk.type) chunk (\(chunk.data.count) bytes): \(error)")
        }
    }

    static func histogramSamples(_ raw: UnsafeRawBufferPointer, float: Bool, minTime: Int64, maxTime: Int64) throws -> HistogramColumns {
        func collect<R: FloatHistogramSampleReader>(_ it: inout R) throws -> HistogramColumns {
            var out = HistogramColumns()
            var h = FloatHistogram()
            while try it.next() {
                if it.t > maxTime { break }
                if it.t < minTime { continue }
                it.read(into: &h)
                out.timestamps.append(it.t)
                out.histograms.append(h)
            }
            return out
        }
        if float {
            var it = try FloatHistogramChunkIterator(raw)
            return try collect(&it)
        }
        var it = try HistogramChunkIterator(raw)
        return try collect(&it)
    }

    public static func decode(_ chunks: [Thanos_AggrChunk], aggregates: [Thanos_Aggr], labels: Labels,
                              minTime: Int64 = .min, maxTime: Int64 = .max) throws -> SampleColumns {
        var ts: [Int64] = []
        var vs: [Double] = []
        var resets = CounterResetApplier()
        var scratchT: [Int64] = []
        var scratchV: [Double] = []
        let sorted = chunks.count < 2 || zip(chunks, chunks.dropFirst()).allSatisfy { $0.minTime <= $1.minTime }
            ? chunks : chunks.sorted { $0.minTime < $1.minTime }
        if let parts = xorParts(sorted) {
            return try sortedXOR(parts, labels: labels, minTime: minTime, maxTime: maxTime)
        }
        // Sized once: an XOR chunk's first two bytes are its sample count.
        let expected = sorted.reduce(0) { n, c in
            guard c.hasRaw, c.raw.type == .xor else { return n }
            return n + c.raw.data.withUnsafeBytes { XORBulkDecoder.sampleCount($0) }
        }
        ts.reserveCapacity(expected)
        vs.reserveCapacity(expected)
        for c in sorted {
            if c.maxTime < minTime || c.minTime > maxTime { continue }
            // The usual case, a raw chunk after everything taken so far: straight into the columns.
            if c.hasRaw, c.minTime > (ts.last ?? .min) {
                try xor(c.raw, labels, &ts, &vs)
                continue
            }
            scratchT.removeAll(keepingCapacity: true)
            scratchV.removeAll(keepingCapacity: true)
            if c.hasRaw {
                try xor(c.raw, labels, &scratchT, &scratchV)
            } else if aggregates == [.counter] {
                guard c.hasCounter else { throw missing(.counter, labels) }
                var ct: [Int64] = [], cv: [Double] = []
                try xor(c.counter, labels, &ct, &cv)
                for k in 0..<ct.count {
                    if let (t, v) = resets.add(ct[k], cv[k]) {
                        scratchT.append(t)
                        scratchV.append(v)
                    }
                }
            } else if aggregates.count == 1, let only = aggregates.first {
                guard let sub = c.chunk(for: only) else { throw missing(only, labels) }
                try xor(sub, labels, &scratchT, &scratchV)
            } else {
                guard c.hasCount else { throw missing(.count, labels) }
                guard c.hasSum else { throw missing(.sum, labels) }
                var st: [Int64] = [], sv: [Double] = []
                try xor(c.count, labels, &scratchT, &scratchV)
                try xor(c.sum, labels, &st, &sv)
                guard st == scratchT else {
                    throw Failure(description: "series \(labels): count and sum aggregates of a downsampled chunk have different timestamps")
                }
                for k in 0..<sv.count { scratchV[k] = sv[k] / scratchV[k] }
            }
            guard let first = scratchT.first else { continue }
            if first > (ts.last ?? .min) {
                ts.append(contentsOf: scratchT)
                vs.append(contentsOf: scratchV)
            } else {
                // Overlapping chunks (overlapping blocks, or a finer resolution filling a gap):
                // a sorted union, the samples already taken win.
                let merged = SeriesMerge.chain(SampleColumns(timestamps: ts, values: vs),
                                               SampleColumns(timestamps: scratchT, values: scratchV))
                ts = merged.timestamps
                vs = merged.values
            }
        }
        // Exactly the requested range, as Prometheus's TSDB querier trims: the engine's
        // results depend on it (e.g. `@` and `offset` near the data's edges).
        let lo = ts.firstIndex { $0 >= minTime } ?? ts.count
        let hi = ts.lastIndex { $0 <= maxTime }.map { $0 + 1 } ?? 0
        if lo >= hi { return SampleColumns() }
        if lo > 0 || hi < ts.count { return SampleColumns(timestamps: Array(ts[lo..<hi]), values: Array(vs[lo..<hi])) }
        return SampleColumns(timestamps: ts, values: vs)
    }

    /// The chunks as `RawXORChunk`s when all are raw XOR in time order, none overlapping the
    /// next (the common case); nil otherwise. One pass, each message field read once: the
    /// generated messages' getters copy (and retain) what they return.
    static func xorParts(_ chunks: [Thanos_AggrChunk]) -> [RawXORChunk<Data>]? {
        var parts: [RawXORChunk<Data>] = []
        parts.reserveCapacity(chunks.count)
        var prevMax = Int64.min
        for c in chunks {
            guard c.hasRaw else { return nil }
            let raw = c.raw
            let lo = c.minTime
            guard raw.type == .xor, prevMax == .min || lo > prevMax else { return nil }
            prevMax = c.maxTime
            parts.append(RawXORChunk(minTime: lo, maxTime: prevMax, data: raw.data))
        }
        return parts
    }

    /// The common case decoded straight into columns allocated once at the size the chunk
    /// headers announce (no zero fill, no growth), then trimmed to [minTime, maxTime] in place
    /// (no copy). The chunks come from a message (`xorParts`) or straight from a store in
    /// process (`SelectedSeries.Chunks.xor`).
    static func sortedXOR<Bytes>(_ chunks: [RawXORChunk<Bytes>], labels: Labels, minTime: Int64,
                                 maxTime: Int64) throws -> SampleColumns {
        let expected = chunks.reduce(0) { n, c in n + c.data.withUnsafeBytes { XORBulkDecoder.sampleCount($0) } }
        guard expected > 0 else { return SampleColumns() }
        var corrupt: Int?
        var lo = 0, hi = 0
        var ts: [Int64] = []
        let vs = [Double](unsafeUninitializedCapacity: expected) { vb, vn in
            let vbits = UnsafeMutableRawPointer(vb.baseAddress!).assumingMemoryBound(to: UInt64.self)
            ts = [Int64](unsafeUninitializedCapacity: expected) { tb, tn in
                var n = 0
                for (i, c) in chunks.enumerated() where c.maxTime >= minTime && c.minTime <= maxTime {
                    let k = c.data.withUnsafeBytes { d in
                        // The capacity holds every chunk's announced count, the most it decodes.
                        XORBulkDecoder.decode(d, ts: tb.baseAddress! + n, vbits: vbits + n)
                    }
                    guard k >= 0 else { corrupt = i; break }
                    n += k
                }
                // Samples outside the range sit only at the ends: find them by bisection.
                let all = UnsafeBufferPointer(start: tb.baseAddress, count: n)
                lo = Self.firstIndex(all) { $0 >= minTime }
                hi = Self.firstIndex(all) { $0 > maxTime }
                if hi < lo { hi = lo }
                if lo > 0 && hi > lo {
                    UnsafeMutableRawPointer(tb.baseAddress!).copyMemory(from: tb.baseAddress! + lo, byteCount: (hi - lo) * 8)
                }
                tn = hi - lo
            }
            if lo > 0 && hi > lo {
                UnsafeMutableRawPointer(vbits).copyMemory(from: vbits + lo, byteCount: (hi - lo) * 8)
            }
            vn = hi - lo
        }
        if let corrupt {
            throw Failure(description: "series \(labels): corrupt XOR chunk (\(chunks[corrupt].data.withUnsafeBytes { $0.count }) bytes)")
        }
        return SampleColumns(timestamps: ts, values: vs)
    }

    /// The first index of ascending `ts` where `past` holds (`ts.count` if none).
    static func firstIndex(_ ts: UnsafeBufferPointer<Int64>, _ past: (Int64) -> Bool) -> Int {
        var lo = 0, hi = ts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if past(ts[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    static func missing(_ a: Thanos_Aggr, _ labels: Labels) -> Failure {
        Failure(description: "series \(labels): downsampled chunk without the \(a) aggregate")
    }

    static func xor(_ chunk: Thanos_Chunk, _ labels: Labels, _ ts: inout [Int64], _ vs: inout [Double]) throws {
        guard chunk.type == .xor else {
            throw Unsupported(encoding: chunk.type,
                              description: "series \(labels) left out: its \(chunk.type) chunks are not evaluated by this querier yet")
        }
        let n = chunk.data.withUnsafeBytes { XORBulkDecoder.append($0, to: &ts, &vs) }
        guard n != nil else { throw Failure(description: "series \(labels): corrupt XOR chunk (\(chunk.data.count) bytes)") }
    }
}
