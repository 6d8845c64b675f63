import StrataCore
import StrataStoreAPI
import StrataTSDB

/// A chunk Strata cannot serve: an encoding byte newer than Prometheus 3.14's, or a
/// start-timestamp chunk too damaged to transcode. Stores leave that one series out with a
/// warning and a metric; every other series of the block is still served.
struct UnsupportedChunkEncoding: Error, Sendable {
    let encoding: UInt8
    let block: ULID
    /// Why a chunk of a known encoding could not be transcoded.
    var corrupt: String? = nil

    /// The warning a store sends for the series left out.
    func warning(_ labels: Labels) -> String {
        if let corrupt {
            return "block \(block): series \(labels) left out: \(ChunkEncoding.name(encoding)) chunk cannot be decoded: \(corrupt)"
        }
        return "block \(block): series \(labels) left out: chunk encoding \(encoding) (\(ChunkEncoding.name(encoding))) cannot be served"
    }
}

/// Turns a chunk record into the wire's `AggrChunk`: XOR, histogram and float histogram
/// chunks as `raw` with the Store API's encoding (their start-timestamp forms transcoded),
/// downsampled (aggregate) chunks as the requested aggregates — shared by every store so that
/// local and bucket-backed blocks answer identically.
enum ChunkConversion {
    static func aggrChunk(encoding enc: UInt8, data: UnsafeRawBufferPointer, minTime: Int64, maxTime: Int64,
                          aggregates: [Thanos_Aggr], block: ULID) throws -> Thanos_AggrChunk {
        var a = Thanos_AggrChunk()
        a.minTime = minTime
        a.maxTime = maxTime
        switch enc {
        case ChunkEncoding.aggr.rawValue:
            let ag = try AggrChunk(decoding: data)
            for want in aggregates.isEmpty ? [.count, .sum] : aggregates {
                guard let t = want.aggrType else {
                    throw StoreError.invalidArgument("aggregate \(want) requested from downsampled block \(block)")
                }
                guard let part = ag[t], let partEnc = ag.encoding(t) else {
                    // Like Thanos's store gateway (`populateChunk`): a requested aggregate the
                    // chunk lacks fails the request. Native histogram chunks have no min/max.
                    throw StoreError.internal("block \(block): chunk has no \(t) aggregate"
                        + (ag.isHistogram ? " (native histogram series are downsampled to count, sum and counter only)" : ""))
                }
                // Sum and counter of native histogram series are (float) histogram chunks;
                // the wire carries each sub-chunk with its own encoding, as Thanos does.
                let type: Thanos_Chunk.Encoding = switch partEnc {
                case ChunkEncoding.histogram.rawValue: .histogram
                case ChunkEncoding.floatHistogram.rawValue: .floatHistogram
                default: .xor
                }
                let chunk = part.withUnsafeBytes { Thanos_Chunk(type, $0) }
                switch t {
                case .count: a.count = chunk
                case .sum: a.sum = chunk
                case .min: a.min = chunk
                case .max: a.max = chunk
                case .counter: a.counter = chunk
                }
            }
        default:
            let chunk: Thanos_Chunk?
            do {
                chunk = try Thanos_Chunk.stored(encoding: enc, data)
            } catch {
                throw UnsupportedChunkEncoding(encoding: enc, block: block, corrupt: "\(error)")
            }
            guard let chunk else { throw UnsupportedChunkEncoding(encoding: enc, block: block) }
            a.raw = chunk
        }
        return a
    }

    /// Samples carried by a converted chunk (for the samples limit): the header's count of
    /// the raw chunk, or of the first aggregate present. Every Prometheus chunk encoding
    /// (XOR and both histogram encodings) starts with the same big-endian 16-bit count.
    static func sampleCount(_ a: Thanos_AggrChunk) -> Int {
        let c = a.hasRaw ? a.raw : a.hasCount ? a.count : a.hasSum ? a.sum : a.hasMin ? a.min : a.hasMax ? a.max : a.counter
        return c.data.withUnsafeBytes { XORBulkDecoder.sampleCount($0) }
    }
}
