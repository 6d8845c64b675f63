import StrataCore

/// A series of a block: its index ID, labels and the chunks overlapping the asked range.
public struct BlockSeries: Sendable {
    public var ref: UInt32
    public var labels: Labels
    public var chunks: [ChunkMeta]

    public init(ref: UInt32, labels: Labels, chunks: [ChunkMeta]) {
        self.ref = ref
        self.labels = labels
        self.chunks = chunks
    }
}

/// Opens a block directory (meta.json, index, chunks/, tombstones) for reading. Everything
/// is memory-mapped; the reader is immutable and may be shared between tasks.
public final class BlockReader: @unchecked Sendable {
    public let dir: String
    public let meta: BlockMeta
    public let index: IndexReader
    public let chunks: ChunkSegmentReader
    public let tombstones: Tombstones

    public init(dir: String) throws {
        self.dir = dir
        guard isDirectory(dir) else { throw TSDBError.notABlock(path: dir, "no such directory") }
        guard fileExists(dir + "/meta.json") else { throw TSDBError.notABlock(path: dir, "meta.json missing") }
        guard fileExists(dir + "/index") else { throw TSDBError.notABlock(path: dir, "index missing") }
        guard isDirectory(dir + "/chunks") else { throw TSDBError.notABlock(path: dir, "chunks/ missing") }
        meta = try BlockMeta.read(dir: dir)
        index = try IndexReader(path: dir + "/index")
        chunks = try ChunkSegmentReader(dir: dir + "/chunks")
        tombstones = try Tombstones.read(dir: dir)
    }

    /// Series IDs whose labels satisfy all matchers (Prometheus `PostingsForMatchers`).
    public func postings(_ matchers: [Matcher]) throws -> [UInt32] {
        try index.postings(matching: matchers)
    }

    /// Calls `body` for each matching series (label order) with its chunks overlapping the
    /// closed range `[minTime, maxTime]`; series without such chunks are skipped.
    public func forEachSeries(matching matchers: [Matcher], minTime: Int64 = .min, maxTime: Int64 = .max,
                              _ body: (BlockSeries) throws -> Void) throws {
        var metas: [ChunkMeta] = []
        for ref in try postings(matchers) {
            let labels = try index.series(ref, chunks: &metas)
            let overlapping = metas.filter { $0.maxTime >= minTime && $0.minTime <= maxTime }
            if overlapping.isEmpty { continue }
            try body(BlockSeries(ref: ref, labels: labels, chunks: overlapping))
        }
    }

    public func series(matching matchers: [Matcher], minTime: Int64 = .min, maxTime: Int64 = .max) throws -> [BlockSeries] {
        var out: [BlockSeries] = []
        try forEachSeries(matching: matchers, minTime: minTime, maxTime: maxTime) { out.append($0) }
        return out
    }

    /// Appends the samples of `series` in `[minTime, maxTime]` to `ts`/`vs`, dropping samples
    /// at or past the block's maxTime and those deleted by tombstones. Downsampled chunks
    /// yield the `aggregate` sub-chunk (an error when none is given); XOR2 chunks their
    /// samples without start timestamps. Histogram chunks throw
    /// `TSDBError.unsupportedEncoding` (read them with `forEachSample` or `histogramSamples`),
    /// as do chunks of encodings Strata cannot decode.
    public func samples(of series: BlockSeries, minTime: Int64 = .min, maxTime: Int64 = .max,
                        aggregate: AggrType? = nil, into ts: inout [Int64], _ vs: inout [Double]) throws {
        let hi = min(maxTime, meta.maxTime &- 1)
        let deleted = tombstones.get(series.ref)
        for c in series.chunks {
            let (enc, data) = try chunks.chunk(c.ref)
            switch enc {
            case ChunkEncoding.xor.rawValue:
                try appendXOR(data, ref: c.ref, minTime, hi, deleted, &ts, &vs)
            case ChunkEncoding.xor2.rawValue:
                try appendXOR(data, ref: c.ref, minTime, hi, deleted, &ts, &vs, xor2: true)
            case ChunkEncoding.aggr.rawValue:
                guard let aggregate else {
                    throw TSDBError.invalidArgument("\(dir): series \(series.labels) holds downsampled chunks; choose an aggregate")
                }
                let ag = try AggrChunk(decoding: data)
                guard let part = ag[aggregate] else { continue }
                // Sum and counter of a native histogram series are histogram chunks.
                if let e = ag.encoding(aggregate), e != ChunkEncoding.xor.rawValue {
                    throw TSDBError.unsupportedEncoding(block: dir, series: series.labels, encoding: e)
                }
                try part.withUnsafeBytes { try appendXOR($0, ref: c.ref, minTime, hi, deleted, &ts, &vs) }
            default:
                // Histogram chunks, and encodings Strata cannot decode (the chunk's CRC held,
                // so the byte is a newer Prometheus's, not damage).
                throw TSDBError.unsupportedEncoding(block: dir, series: series.labels, encoding: enc)
            }
        }
    }

    /// Appends an XOR (or, with `xor2`, an XOR2) chunk's samples, filtered like `samples(of:)`.
    private func appendXOR(_ data: UnsafeRawBufferPointer, ref: ChunkRef, _ lo: Int64, _ hi: Int64,
                           _ deleted: [TimeInterval], _ ts: inout [Int64], _ vs: inout [Double], xor2: Bool = false) throws {
        let start = ts.count
        if xor2 {
            do {
                try decodeXOR2(data, into: &ts, &vs)
            } catch {
                throw TSDBError.corrupt(path: segmentPath(ref), offset: Int(ref & 0xFFFF_FFFF),
                                        "corrupt XOR2 chunk (\(XORBulkDecoder.sampleCount(data)) samples announced)")
            }
        } else if XORBulkDecoder.append(data, to: &ts, &vs) == nil {
            throw TSDBError.corrupt(path: segmentPath(ref), offset: Int(ref & 0xFFFF_FFFF),
                                    "corrupt XOR chunk (\(XORBulkDecoder.sampleCount(data)) samples announced)")
        }
        let n = ts.count - start
        // Keep the samples inside [lo, hi] that no tombstone deletes, compacting in place.
        var w = start
        for k in start..<(start + n) {
            let t = ts[k]
            if t < lo || t > hi { continue }
            if !deleted.isEmpty && deleted.contains(where: { $0.contains(t) }) { continue }
            ts[w] = t
            vs[w] = vs[k]
            w += 1
        }
        ts.removeLast(ts.count - w)
        vs.removeLast(vs.count - w)
    }

    /// Label names of series matching `matchers` (all names when none).
    public func labelNames(matching matchers: [Matcher] = []) throws -> [String] {
        if matchers.isEmpty { return index.labelNames }
        var names = Set<String>()
        try forEachSeries(matching: matchers) { s in for l in s.labels.pairs { names.insert(l.name) } }
        return names.sorted(by: bytewiseLess)
    }

    /// Values of `name` over series matching `matchers` (all values when none).
    public func labelValues(_ name: String, matching matchers: [Matcher] = []) throws -> [String] {
        if matchers.isEmpty { return index.labelValues(name) }
        var values = Set<String>()
        try forEachSeries(matching: matchers) { s in
            let v = s.labels[name]
            if !v.isEmpty { values.insert(v) }
        }
        return values.sorted(by: bytewiseLess)
    }
}
