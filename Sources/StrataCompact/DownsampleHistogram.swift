import StrataCore
import StrataTSDB

/// Downsampling of native histogram series, as Thanos does it (pkg/compact/downsample/
/// downsample.go: `histogramAggregator`, `downsampleHistogramBatch`,
/// `downsampleHistogramAggrBatch`, `newHistogramAggrChunkBuilder`). A histogram AggrChunk holds
/// three aggregates: count (XOR, histograms per window), sum (float histogram chunk, the gauge
/// sum of the window's histograms) and counter (float histogram chunk, the reset-corrected
/// running counter at each window's end). Min and max are absent, and unlike float counters
/// there are no extra raw first/last counter samples.
extension Downsample {
    /// One native histogram sample (integer histograms are converted to float ones first).
    public struct HistogramSample: Sendable {
        public var t: Int64
        public var h: FloatHistogram
        public init(t: Int64, h: FloatHistogram) {
            self.t = t
            self.h = h
        }
    }

    /// A histogram series that cannot be aggregated (Thanos panics here): exponential and
    /// custom-bucket histograms mixed in one batch.
    public struct HistogramAggregationError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Window state of one histogram batch (Thanos's `histogramAggregator`). Every histogram is
    /// first brought to the batch's lowest schema; `counter` is the running reset-corrected
    /// counter since the batch began, `sum` the gauge sum of the current window.
    struct HistogramAggregator {
        let schema: Int32
        var total = 0
        var count = 0
        var sum: FloatHistogram?
        var counter = FloatHistogram()
        var previous = FloatHistogram()

        init(schema: Int32) { self.schema = schema }

        mutating func reset() {
            count = 0
            sum = nil
        }

        mutating func add(_ original: FloatHistogram) throws {
            guard original.schema >= schema else {
                throw HistogramAggregationError(description: "histogram schema \(original.schema) below the batch's \(schema)")
            }
            // Like Prometheus's CopyToSchema, the reduced copy has an unknown reset hint.
            let fh = original.schema > schema ? original.copy(toSchema: schema) : original
            do {
                if total > 0 {
                    // Reset detection compares the original (a schema increase is a reset).
                    if fh.counterResetHint != .gauge && original.detectReset(previous: previous) {
                        try counter.add(fh)
                    } else {
                        var delta = fh
                        try delta.sub(previous)
                        try counter.add(delta)
                    }
                } else {
                    counter = fh
                }
                if sum == nil {
                    sum = fh
                } else {
                    try sum!.add(fh)
                }
            } catch {
                throw HistogramAggregationError(description: "cannot aggregate histograms: \(error)")
            }
            // A gauge, or appending a smaller window sum would look like a counter reset.
            sum!.counterResetHint = .gauge
            previous = fh
            count += 1
            total += 1
        }
    }

    /// One float histogram aggregate sub-chunk, appended to like Thanos's
    /// `aggrChunkBuilder.appendFloatHistogram`: Prometheus's `AppendFloatHistogram` with the
    /// appender itself as `prev`, so the first sample's header is not-counter-reset unless the
    /// sample is a gauge or an explicit reset; new buckets recode the chunk; and when the
    /// appender cuts a new chunk (a counter reset, a schema or zero-threshold change) the
    /// builder keeps only the new chunk, dropping the samples before it — as Thanos does.
    struct HistogramAggrAppender {
        var seq = FloatHistogramChunkSequence(samplesPerChunk: Int(UInt16.max))
        var appended = 0

        mutating func append(_ t: Int64, _ h: FloatHistogram) throws {
            try seq.append(t, h)
            appended += 1
        }

        /// The sub-chunk bytes (an empty chunk, header only, when nothing was appended, as
        /// Thanos's builder always creates these two chunks).
        mutating func finish() -> [UInt8] {
            let chunks = seq.finish()
            guard var last = chunks.last?.data else { return FloatHistogramChunkEncoder().bytes }
            if chunks.count == 1, last.count > 2, last[2] & 0xC0 == CounterResetHeader.unknown.rawValue {
                last[2] = (last[2] & 0x3F) | CounterResetHeader.notCounterReset.rawValue
            }
            return last
        }
    }

    /// Lowest schema among the non-stale histograms (Thanos `minSchema`).
    static func minSchema(_ samples: [HistogramSample]) -> Int32 {
        var s = Int32.max
        for x in samples where !isStaleNaN(x.h.sum) && x.h.schema < s { s = x.h.schema }
        return s
    }

    /// The window loop (Thanos `downsampleBatch`) over histograms: `emit` is called at each
    /// window's end with the aggregator (which it may adjust, as Thanos's builder does).
    @discardableResult
    static func histogramWindowLoop(_ data: [HistogramSample], _ r: Int64, _ a: inout HistogramAggregator,
                                    _ emit: (Int64, inout HistogramAggregator) throws -> Void) throws -> Int64 {
        var nextT: Int64 = -1
        let lastT = data[data.count - 1].t
        for s in data {
            if s.t > nextT {
                if nextT != -1 { try emit(nextT, &a) }
                a.reset()
                nextT = min(windowEnd(s.t, r), lastT)
            }
            try a.add(s.h)
        }
        if a.total > 0 { try emit(nextT, &a) }
        return nextT
    }

    /// Raw histogram samples of one series (a run of histogram chunks, stale markers and
    /// out-of-order samples already dropped) → histogram AggrChunks at `resolution`
    /// (Thanos `DownsampleRaw` with `downsampleHistogramBatch`).
    public static func rawHistograms(_ data: [HistogramSample], resolution: Int64) throws -> [EncodedChunk] {
        guard let first = data.first, let last = data.last else { return [] }
        let n = targetChunkCount(first.t, last.t, inRes: 60_000, outRes: resolution, count: data.count)
        let batchSize = data.count / n + 1
        var out: [EncodedChunk] = []
        var start = 0
        while start < data.count {
            var j = min(start + batchSize, data.count)
            let w = windowEnd(data[j - 1].t, resolution)
            while j < data.count && data[j].t <= w { j += 1 }
            // Thanos drops every histogram whose sum is NaN here, not only stale markers.
            let batch = data[start..<j].filter { !$0.h.sum.isNaN }
            start = j
            if batch.isEmpty { continue }
            out.append(try histogramBatch(batch, resolution))
        }
        return out
    }

    static func histogramBatch(_ batch: [HistogramSample], _ r: Int64) throws -> EncodedChunk {
        let gauge = batch[0].h.counterResetHint == .gauge
        var count = XORAppender()
        var sum = HistogramAggrAppender(), counter = HistogramAggrAppender()
        var mint = Int64.max, maxt = Int64.min
        var a = HistogramAggregator(schema: minSchema(batch))
        try histogramWindowLoop(batch, r, &a) { t, a in
            if t < mint { mint = t }
            if t > maxt { maxt = t }
            // Gauge histograms: both aggregates are gauges, so a smaller value is not a reset.
            if gauge {
                a.counter.counterResetHint = .gauge
                a.sum!.counterResetHint = .gauge
            }
            try counter.append(t, a.counter)
            try sum.append(t, a.sum!)
            count.append(t, Double(a.count))
        }
        return histogramAggrChunk(count: count.bytes, sum: sum.finish(), counter: counter.finish(), mint: mint, maxt: maxt)
    }

    static func histogramAggrChunk(count: [UInt8], sum: [UInt8], counter: [UInt8], mint: Int64, maxt: Int64) -> EncodedChunk {
        let fh = ChunkEncoding.floatHistogram.rawValue, xor = ChunkEncoding.xor.rawValue
        let ag = AggrChunk(parts: [count, sum, nil, nil, counter], encodings: [xor, fh, xor, xor, fh])
        return EncodedChunk(encoding: .aggr, data: ag.encoded, minTime: mint, maxTime: maxt, numSamples: ag.numSamples)
    }

    /// Histograms of one aggregate of `group` (Thanos `expandFloatHistogramChunkIterator` per
    /// sub-chunk: stale markers dropped, a sample older than the previous one of the same
    /// sub-chunk dropped).
    static func expandHistograms(_ group: [AggrChunk], _ type: AggrType) throws -> [HistogramSample] {
        var out: [HistogramSample] = []
        for c in group {
            guard let part = c[type], let enc = c.encoding(type) else { continue }
            try expandHistogramChunk(part, encoding: enc, into: &out)
        }
        return out
    }

    /// Appends the samples of one histogram (2) or float histogram (3) chunk as float
    /// histograms, without stale markers or samples going back in time within the chunk.
    public static func expandHistogramChunk(_ data: [UInt8], encoding: UInt8, into out: inout [HistogramSample]) throws {
        var lastT: Int64 = 0
        try data.withUnsafeBytes { buf in
            var h = FloatHistogram()
            if encoding == ChunkEncoding.floatHistogram.rawValue {
                var it = try FloatHistogramChunkIterator(buf)
                while try it.next() {
                    if it.isStale { continue }
                    if it.t >= lastT {
                        it.read(into: &h)
                        out.append(HistogramSample(t: it.t, h: h))
                        lastT = it.t
                    }
                }
            } else if encoding == ChunkEncoding.histogram.rawValue {
                var it = try HistogramChunkIterator(buf)
                while try it.next() {
                    it.read(into: &h)
                    if isStaleNaN(h.sum) { continue }
                    if it.t >= lastT {
                        out.append(HistogramSample(t: it.t, h: h))
                        lastT = it.t
                    }
                }
            } else {
                throw HistogramAggregationError(description: "sub-chunk encoding \(encoding) is not a histogram encoding")
            }
        }
    }

    /// Histogram AggrChunks at a finer resolution → one AggrChunk at `r` (Thanos
    /// `downsampleHistogramAggrBatch`): the counter aggregate re-aggregated with reset
    /// detection, sums summed, counts summed.
    static func histogramAggregateBatch(_ group: [AggrChunk], _ r: Int64) throws -> EncodedChunk {
        var mint = Int64.max, maxt = Int64.min
        func track(_ t: Int64) {
            if t < mint { mint = t }
            if t > maxt { maxt = t }
        }
        var counter = HistogramAggrAppender(), sum = HistogramAggrAppender()
        let counters = try expandHistograms(group, .counter)
        if !counters.isEmpty {
            var a = HistogramAggregator(schema: minSchema(counters))
            try histogramWindowLoop(counters, r, &a) { t, a in
                track(t)
                try counter.append(t, a.counter)
            }
        }
        let sums = try expandHistograms(group, .sum)
        guard !sums.isEmpty else {
            throw HistogramAggregationError(description: "histogram aggregate chunks without sum samples")
        }
        var a = HistogramAggregator(schema: minSchema(sums))
        try histogramWindowLoop(sums, r, &a) { t, a in
            track(t)
            try sum.append(t, a.sum!)
        }
        var ts: [Int64] = [], vs: [Double] = []
        for c in group { if let p = c[.count] { expand(p, into: &ts, &vs) } }
        var count = XORAppender()
        if !ts.isEmpty {
            _ = windowLoop(ts, vs, r) { t, a in
                track(t)
                count.append(t, a.sum)
            }
        }
        guard mint != .max, maxt != .min else {
            throw HistogramAggregationError(description: "invalid range for downsampled aggregate chunk")
        }
        return histogramAggrChunk(count: count.bytes, sum: sum.finish(), counter: counter.finish(), mint: mint, maxt: maxt)
    }

    /// All AggrChunks of one series (5m) → AggrChunks at `resolution` (1h). Runs of float and
    /// of histogram chunks are downsampled separately (Thanos cuts at every switch between
    /// the two), each run grouping whole input chunks like `aggregates`.
    public static func aggregateSeries(_ chunks: [(AggrChunk, ChunkMeta)], inResolution: Int64, resolution: Int64) throws -> [EncodedChunk] {
        var out: [EncodedChunk] = []
        var i = 0
        while i < chunks.count {
            let hist = chunks[i].0.isHistogram
            var j = i + 1
            while j < chunks.count && chunks[j].0.isHistogram == hist { j += 1 }
            let run = Array(chunks[i..<j])
            if hist {
                out += try histogramAggregates(run, inResolution: inResolution, resolution: resolution)
            } else {
                out += aggregates(run, inResolution: inResolution, resolution: resolution)
            }
            i = j
        }
        return out
    }

    static func histogramAggregates(_ chunks: [(AggrChunk, ChunkMeta)], inResolution: Int64, resolution: Int64) throws -> [EncodedChunk] {
        try inBatches(chunks, inResolution: inResolution, resolution: resolution) { try histogramAggregateBatch($0, resolution) }
    }
}
