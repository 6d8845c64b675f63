import StrataCore
import StrataStoreAPI
import StrataTSDB

/// Turns one series of a remote-read SAMPLES response (the fallback for servers without
/// streamed chunks) into Store API chunks: floats as XOR chunks, integer histograms as
/// histogram chunks, float histograms as float histogram chunks. Each run of one kind is cut
/// by the same rules Prometheus's head uses (a counter reset starts a chunk with the reset
/// header, new buckets recode), so the querier sees what streamed chunks would have given.
enum RemoteReadSamples {
    static func chunks(_ ts: Prometheus_TimeSeries) throws -> [EncodedChunk] {
        var out = EncodedChunk.xorChunks(timestamps: ts.samples.map(\.timestamp), values: ts.samples.map(\.value))
        // Histograms in time order, split into runs of integer and float histograms.
        let hs = ts.histograms.sorted { $0.timestamp < $1.timestamp }
        var i = 0
        while i < hs.count {
            let isFloat = hs[i].isFloat
            var j = i
            while j < hs.count && hs[j].isFloat == isFloat { j += 1 }
            let run = hs[i..<j]
            if isFloat {
                out += try EncodedChunk.floatHistogramChunks(timestamps: run.map(\.timestamp), histograms: run.map(FloatHistogram.init))
            } else {
                out += try EncodedChunk.histogramChunks(timestamps: run.map(\.timestamp), histograms: run.map(Histogram.init))
            }
            i = j
        }
        return out.sorted { $0.minTime < $1.minTime }
    }
}

extension ChunkEncoding {
    /// The Store API encoding of a chunk this module encodes (never an aggregate).
    var storeEncoding: Thanos_Chunk.Encoding {
        switch self {
        case .histogram: .histogram
        case .floatHistogram: .floatHistogram
        default: .xor
        }
    }
}

extension Prometheus_Histogram {
    /// Float histograms carry `count_float` and absolute `*_counts`; integer ones
    /// `count_int` and delta-encoded `*_deltas`.
    var isFloat: Bool {
        if case .countFloat? = count { return true }
        return false
    }

    var hint: CounterResetHint {
        switch resetHint {
        case .yes: .counterReset
        case .no: .notCounterReset
        case .gauge: .gauge
        default: .unknown
        }
    }
}

extension HistogramSpan {
    init(_ p: Prometheus_BucketSpan) { self.init(offset: p.offset, length: p.length) }
}

extension Histogram {
    init(_ p: Prometheus_Histogram) {
        var zero: UInt64 = 0
        if case .zeroCountInt(let z)? = p.zeroCount { zero = z }
        self.init(counterResetHint: p.hint, schema: p.schema, zeroThreshold: p.zeroThreshold, zeroCount: zero,
                  count: p.countInt, sum: p.sum, positiveSpans: p.positiveSpans.map(HistogramSpan.init),
                  negativeSpans: p.negativeSpans.map(HistogramSpan.init),
                  positiveBuckets: p.positiveDeltas, negativeBuckets: p.negativeDeltas)
    }
}

extension FloatHistogram {
    init(_ p: Prometheus_Histogram) {
        var zero = 0.0
        if case .zeroCountFloat(let z)? = p.zeroCount { zero = z }
        self.init(counterResetHint: p.hint, schema: p.schema, zeroThreshold: p.zeroThreshold, zeroCount: zero,
                  count: p.countFloat, sum: p.sum, positiveSpans: p.positiveSpans.map(HistogramSpan.init),
                  negativeSpans: p.negativeSpans.map(HistogramSpan.init),
                  positiveBuckets: p.positiveCounts, negativeBuckets: p.negativeCounts)
    }
}
