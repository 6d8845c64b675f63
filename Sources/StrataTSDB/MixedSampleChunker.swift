import StrataCore

/// Cuts a series' samples of any kind, in time order, into chunks: runs of float samples
/// become XOR chunks, runs of integer histograms histogram chunks and runs of float
/// histograms float histogram chunks, the histogram runs cut by Prometheus's append rules
/// (`HistogramChunkSequence`), so a counter reset starts a chunk whose header says so even
/// when the samples come from several blocks. A change of kind always closes the open chunk,
/// as a Prometheus head does when a series switches between floats and histograms.
/// Used wherever samples are rewritten instead of copied: tombstone rewrites, and
/// compaction of overlapping blocks.
public struct MixedSampleChunker {
    private var out: [EncodedChunk] = []
    private var ft: [Int64] = [], fv: [Double] = []
    private var ints = HistogramChunkSequence(), floats = FloatHistogramChunkSequence()
    private enum Kind { case none, float, histogram, floatHistogram }
    private var kind = Kind.none
    private var last = Int64.min

    public init() {}

    /// Appends one sample; timestamps must increase.
    public mutating func append(_ t: Int64, _ v: SampleValue) throws {
        guard t > last || kind == .none else {
            throw TSDBError.invalidArgument("sample at \(t) is not after the previous one at \(last)")
        }
        last = t
        let k: Kind
        switch v {
        case .float: k = .float
        case .histogram: k = .histogram
        case .floatHistogram: k = .floatHistogram
        }
        if k != kind { flush(); kind = k }
        switch v {
        case .float(let x): ft.append(t); fv.append(x)
        case .histogram(let h): try ints.append(t, h)
        case .floatHistogram(let h): try floats.append(t, h)
        }
    }

    /// Closes the open run and returns every chunk, in time order.
    public mutating func finish() -> [EncodedChunk] {
        flush()
        kind = .none
        last = .min
        defer { out = [] }
        return out
    }

    private mutating func flush() {
        switch kind {
        case .float:
            out += EncodedChunk.xorChunks(timestamps: ft, values: fv)
            ft.removeAll(keepingCapacity: true)
            fv.removeAll(keepingCapacity: true)
        case .histogram: out += ints.finish()
        case .floatHistogram: out += floats.finish()
        case .none: break
        }
    }
}
