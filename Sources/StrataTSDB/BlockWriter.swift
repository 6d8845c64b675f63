import StrataCore
#if canImport(Glibc)
import Glibc
#endif

/// A chunk ready to be written: its encoding, data and closed time range.
public struct EncodedChunk: Sendable {
    public var encoding: ChunkEncoding
    public var data: [UInt8]
    public var minTime: Int64
    public var maxTime: Int64
    public var numSamples: Int
    /// Set for a chunk copied through whose encoding Strata cannot decode (XOR2, histograms
    /// with start timestamps, a byte from a newer Prometheus): the chunk is written with this
    /// encoding byte and its data untouched, and `encoding` is ignored. `numSamples` is 0 for
    /// such a chunk — nothing here can count them — so the block's stats undercount.
    public var opaqueEncoding: UInt8?

    /// A chunk of an undecodable encoding, to be written byte for byte.
    public static func opaque(encoding: UInt8, data: [UInt8], minTime: Int64, maxTime: Int64) -> EncodedChunk {
        var c = EncodedChunk(encoding: .xor, data: data, minTime: minTime, maxTime: maxTime, numSamples: 0)
        c.opaqueEncoding = encoding
        return c
    }

    public init(encoding: ChunkEncoding, data: [UInt8], minTime: Int64, maxTime: Int64, numSamples: Int) {
        self.encoding = encoding
        self.data = data
        self.minTime = minTime
        self.maxTime = maxTime
        self.numSamples = numSamples
    }

    /// Cuts samples into XOR chunks of `perChunk` samples (120, the Prometheus target).
    public static func xorChunks(timestamps: [Int64], values: [Double], perChunk: Int = 120) -> [EncodedChunk] {
        var out: [EncodedChunk] = []
        var i = 0
        while i < timestamps.count {
            let end = min(i + perChunk, timestamps.count)
            var a = XORAppender()
            for k in i..<end { a.append(timestamps[k], values[k]) }
            out.append(EncodedChunk(encoding: .xor, data: a.bytes, minTime: timestamps[i], maxTime: timestamps[end - 1], numSamples: end - i))
            i = end
        }
        return out
    }

    /// Cuts integer histogram samples into histogram chunks the way Prometheus's head does
    /// (see `HistogramChunkSequence`). Throws on unordered samples or inconsistent buckets.
    public static func histogramChunks(timestamps: [Int64], histograms: [Histogram], perChunk: Int = 120) throws -> [EncodedChunk] {
        guard timestamps.count == histograms.count else { throw TSDBError.invalidArgument("\(timestamps.count) timestamps for \(histograms.count) histograms") }
        var seq = HistogramChunkSequence(samplesPerChunk: perChunk)
        for i in timestamps.indices { try seq.append(timestamps[i], histograms[i]) }
        return seq.finish()
    }

    /// Cuts float histogram samples into float histogram chunks (`FloatHistogramChunkSequence`).
    public static func floatHistogramChunks(timestamps: [Int64], histograms: [FloatHistogram], perChunk: Int = 120) throws -> [EncodedChunk] {
        guard timestamps.count == histograms.count else { throw TSDBError.invalidArgument("\(timestamps.count) timestamps for \(histograms.count) histograms") }
        var seq = FloatHistogramChunkSequence(samplesPerChunk: perChunk)
        for i in timestamps.indices { try seq.append(timestamps[i], histograms[i]) }
        return seq.finish()
    }
}

/// Writes a complete block: series in any order are held until `commit`, which sorts them,
/// writes their chunks in that order (as Prometheus lays a block out, so the chunks of one
/// metric lie together and a store reads them with few, small ranges), then the index, an
/// empty tombstones file and meta.json, and renames the `<ULID>.tmp-for-creation`
/// directory into place. Readers never see a partial block; on error `abort` removes the
/// temp dir.
///
/// Given the symbol table up front (a compactor knows it: the union of its inputs'), the
/// writer streams: series must then arrive in label order, and their chunks and index
/// entries are written at once, so memory stays at the postings lists.
public final class BlockWriter {
    public let ulid: ULID
    public let minTime: Int64
    public let maxTime: Int64
    public let parentDir: String
    let tmpDir: String
    private let chunks: ChunkSegmentWriter
    private var series: [(labels: Labels, chunks: [EncodedChunk])] = []
    private var seen: Set<Labels> = []
    /// Set in streaming mode: series are written as they are added.
    private var streamingIndex: IndexWriter?
    public private(set) var stats = BlockMeta.BlockStats()
    private var done = false

    public init(parentDir: String, ulid: ULID = ULID(), minTime: Int64, maxTime: Int64,
                maxSegmentSize: Int = SegmentFormat.defaultMaxSize, symbols: [String]? = nil) throws {
        guard minTime < maxTime else { throw TSDBError.invalidArgument("block minTime \(minTime) must be below maxTime \(maxTime)") }
        self.ulid = ulid
        self.minTime = minTime
        self.maxTime = maxTime
        self.parentDir = parentDir
        tmpDir = parentDir + "/" + ulid.description + ".tmp-for-creation"
        try makeDirectory(parentDir)
        try removeTree(tmpDir)
        try makeDirectory(tmpDir)
        chunks = try ChunkSegmentWriter(dir: tmpDir + "/chunks", maxSegmentSize: maxSegmentSize)
        if let symbols { streamingIndex = try IndexWriter(path: tmpDir + "/index", symbols: symbols) }
    }

    deinit { if !done { try? removeTree(tmpDir) } }

    /// Adds a series with its chunks in time order. Series without chunks are skipped.
    public func add(_ labels: Labels, chunks list: [EncodedChunk]) throws {
        guard !list.isEmpty else { return }
        guard !labels.isEmpty else { throw TSDBError.invalidArgument("series without labels") }
        if streamingIndex == nil {
            guard seen.insert(labels).inserted else { throw TSDBError.invalidArgument("duplicate series \(labels)") }
        }
        var prevMax = Int64.min
        for c in list {
            guard c.minTime >= minTime, c.maxTime < maxTime, c.minTime <= c.maxTime else {
                throw TSDBError.invalidArgument("chunk [\(c.minTime), \(c.maxTime)] of \(labels) outside block range [\(minTime), \(maxTime))")
            }
            guard c.minTime > prevMax || prevMax == Int64.min else {
                throw TSDBError.invalidArgument("chunks of \(labels) overlap or are out of order at \(c.minTime)")
            }
            prevMax = c.maxTime
            stats.numSamples += UInt64(c.numSamples)
            stats.numChunks += 1
        }
        stats.numSeries += 1
        if let iw = streamingIndex {
            try iw.addSeries(labels, chunks: try write(list))  // refuses series out of order
        } else {
            series.append((labels, list))
        }
    }

    /// Writes chunks to the segments; their references.
    private func write(_ list: [EncodedChunk]) throws -> [ChunkMeta] {
        var metas: [ChunkMeta] = []
        metas.reserveCapacity(list.count)
        for c in list {
            let ref = try chunks.write(encodingByte: c.opaqueEncoding ?? c.encoding.rawValue, data: c.data)
            metas.append(ChunkMeta(ref: ref, minTime: c.minTime, maxTime: c.maxTime))
        }
        return metas
    }

    /// Adds a series of integer histogram samples (ascending timestamps), cut into histogram
    /// chunks by Prometheus's append rules (`HistogramChunkSequence`).
    public func add(_ labels: Labels, timestamps: [Int64], histograms: [Histogram]) throws {
        try add(labels, chunks: EncodedChunk.histogramChunks(timestamps: timestamps, histograms: histograms))
    }

    /// Adds a series of float histogram samples, cut into float histogram chunks.
    public func add(_ labels: Labels, timestamps: [Int64], floatHistograms: [FloatHistogram]) throws {
        try add(labels, chunks: EncodedChunk.floatHistogramChunks(timestamps: timestamps, histograms: floatHistograms))
    }

    /// Adds a series from samples (ascending timestamps), cut into 120-sample XOR chunks.
    public func add(_ labels: Labels, timestamps: [Int64], values: [Double]) throws {
        for i in 1..<max(1, timestamps.count) where timestamps[i] <= timestamps[i - 1] {
            throw TSDBError.invalidArgument("samples of \(labels) not strictly increasing at \(timestamps[i])")
        }
        try add(labels, chunks: EncodedChunk.xorChunks(timestamps: timestamps, values: values))
    }

    /// Finishes the block. `configure` fills in what the caller knows (level, sources,
    /// Thanos section); stats, ULID and time range are set here.
    @discardableResult
    public func commit(configure: (inout BlockMeta) -> Void = { _ in }) throws -> BlockMeta {
        do {
            if streamingIndex == nil {
                series.sort { $0.labels < $1.labels }
                var metas: [[ChunkMeta]] = []
                metas.reserveCapacity(series.count)
                for k in series.indices {
                    metas.append(try write(series[k].chunks))
                    series[k].chunks = []
                }
                _ = try chunks.close()
                var symbolSet = Set<String>()
                for s in series {
                    for l in s.labels.pairs { symbolSet.insert(l.name); symbolSet.insert(l.value) }
                }
                let symbols = symbolSet.sorted(by: bytewiseLess)
                let iw = try IndexWriter(path: tmpDir + "/index", symbols: symbols)
                for (k, s) in series.enumerated() { try iw.addSeries(s.labels, chunks: metas[k]) }
                try iw.close()
            } else {
                _ = try chunks.close()
                try streamingIndex!.close()
            }
            try writeFileAtomically(tmpDir + "/tombstones", Tombstones().encoded)

            var meta = BlockMeta(ulid: ulid, minTime: minTime, maxTime: maxTime)
            configure(&meta)
            meta.ulid = ulid
            meta.minTime = minTime
            meta.maxTime = maxTime
            let extra = meta.stats.extra
            meta.stats = stats
            meta.stats.extra = extra
            try meta.write(dir: tmpDir)
            syncDirectory(tmpDir)
            let final = parentDir + "/" + ulid.description
            guard rename(tmpDir, final) == 0 else { throw TSDBError.io(path: final, errno: errno) }
            syncDirectory(parentDir)
            done = true
            return meta
        } catch {
            abort()
            throw error
        }
    }

    /// Discards everything written.
    public func abort() {
        done = true
        try? removeTree(tmpDir)
    }
}
