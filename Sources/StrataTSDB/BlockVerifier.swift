import StrataCore

/// One problem found by `BlockVerifier`: the file, byte offset and what is wrong.
public struct BlockProblem: Sendable, CustomStringConvertible {
    public var file: String
    public var offset: Int?
    public var message: String
    public var description: String { offset.map { "\(file): offset \($0): \(message)" } ?? "\(file): \(message)" }
}

/// A chunk `BlockVerifier` found intact but cannot decode.
public struct UnsupportedChunk: Sendable, CustomStringConvertible {
    public var series: Labels
    public var encoding: UInt8
    public var file: String
    public var offset: Int
    public var description: String {
        "\(file): offset \(offset): series \(series): \(ChunkEncoding.name(encoding)) chunk (encoding \(encoding)) cannot be decoded; its samples are not checked"
    }
}

/// Checks a block completely: meta.json, every index section and its checksum, ordering of
/// symbols, series and postings, chunk references, chunk CRCs and sample decoding, chunk
/// ranges against the block range, tombstones, and that meta.json's stats are exact.
/// It reports every problem it can reach instead of stopping at the first.
public struct BlockVerifier {
    public let dir: String
    public private(set) var problems: [BlockProblem] = []
    /// Counted while verifying, compared with meta.json.
    public private(set) var series = 0, chunks = 0, samples = 0
    /// Chunks whose encoding Strata cannot decode (a byte newer than Prometheus 3.14's) but
    /// whose checksum holds. They are not problems; their samples are not
    /// counted, so meta.json's `numSamples` is not checked when there are any.
    public private(set) var unsupportedChunks: [UnsupportedChunk] = []

    public init(dir: String) { self.dir = dir }

    mutating func problem(_ file: String, _ offset: Int?, _ message: String) {
        problems.append(BlockProblem(file: dir + "/" + file, offset: offset, message: message))
    }

    mutating func record(_ error: Error, file: String) {
        if case TSDBError.corrupt(let p, let o, let m) = error {
            problems.append(BlockProblem(file: p, offset: o, message: m))
        } else {
            problem(file, nil, "\(error)")
        }
    }

    public mutating func run() -> [BlockProblem] {
        guard isDirectory(dir) else { problem("", nil, "not a directory"); return problems }
        var meta: BlockMeta?
        do { meta = try BlockMeta.read(dir: dir) } catch { record(error, file: "meta.json") }
        if let m = meta {
            if m.minTime >= m.maxTime { problem("meta.json", nil, "minTime \(m.minTime) is not below maxTime \(m.maxTime)") }
            if !dir.hasSuffix(m.ulid.description) { problem("meta.json", nil, "ulid \(m.ulid) does not match the directory name") }
        }
        var chunkReader: ChunkSegmentReader?
        do { chunkReader = try ChunkSegmentReader(dir: dir + "/chunks") } catch { record(error, file: "chunks") }
        do {
            let idx = try IndexReader(path: dir + "/index")
            verifyIndex(idx, meta: meta, chunks: chunkReader)
        } catch { record(error, file: "index") }
        do { _ = try Tombstones.read(dir: dir) } catch { record(error, file: "tombstones") }
        if let m = meta, problems.isEmpty {
            if m.stats.numSeries != UInt64(series) { problem("meta.json", nil, "stats.numSeries is \(m.stats.numSeries), the index holds \(series)") }
            if m.stats.numChunks != UInt64(chunks) { problem("meta.json", nil, "stats.numChunks is \(m.stats.numChunks), the index references \(chunks)") }
            if unsupportedChunks.isEmpty && m.stats.numSamples != UInt64(samples) { problem("meta.json", nil, "stats.numSamples is \(m.stats.numSamples), the chunks hold \(samples)") }
        }
        return problems
    }

    private mutating func verifyIndex(_ idx: IndexReader, meta: BlockMeta?, chunks reader: ChunkSegmentReader?) {
        let buf = idx.file.buffer
        // Symbols: sorted and unique.
        for i in 1..<max(1, idx.symbols.count) where !bytewiseLess(idx.symbols[i - 1], idx.symbols[i]) {
            problem("index", Int(idx.toc.symbols), "symbols not sorted or not unique at #\(i) \(goQuote(idx.symbols[i]))")
            break
        }
        // Series: walk the section entry by entry.
        let start = Int(idx.toc.series)
        let ends = [idx.toc.labelIndices, idx.toc.postings, idx.toc.labelIndicesTable].filter { $0 > idx.toc.series }
        let end = Int(ends.min() ?? UInt64(buf.count - IndexFormat.tocSize))
        var off = (start + 15) / 16 * 16
        var ids: [UInt32] = []
        var prev: Labels?
        var metas: [ChunkMeta] = []
        while off < end {
            if buf[off] == 0 { off += 16; continue }  // padding between entries
            let id = UInt32(off / 16)
            do {
                let labels = try idx.series(id, chunks: &metas)
                ids.append(id)
                series += 1
                if let p = prev, !(p < labels) { problem("index", off, "series \(labels) out of order after \(p)") }
                prev = labels
                var names = Set<String>()
                for l in labels.pairs {
                    if l.value.isEmpty { problem("index", off, "series \(labels) has an empty label value") }
                    if !names.insert(l.name).inserted { problem("index", off, "series \(labels) repeats label \(l.name)") }
                }
                verifyChunks(metas, labels: labels, at: off, meta: meta, reader: reader)
                var r = ByteReader(buf, pos: off)
                let len = (try? r.uvarintInt()) ?? 0
                off = (r.pos + len + 4 + 15) / 16 * 16
            } catch {
                record(error, file: "index")
                return
            }
        }
        // Postings: every list CRC-checked and ascending; all-postings = all series.
        do {
            let all = try idx.allPostings()
            if all != ids { problem("index", nil, "all-postings list (\(all.count) entries) differs from the series section (\(ids.count) series)") }
            let idSet = Set(ids)
            for name in idx.labelNames {
                for value in idx.labelValues(name) {
                    let p = try idx.postings(name, value)
                    if p.isEmpty { problem("index", nil, "empty postings list for \(name)=\(goQuote(value))") }
                    for i in 0..<p.count {
                        if i > 0 && p[i] <= p[i - 1] { problem("index", nil, "postings of \(name)=\(goQuote(value)) not ascending"); break }
                        if !idSet.contains(p[i]) { problem("index", nil, "postings of \(name)=\(goQuote(value)) reference unknown series \(p[i])"); break }
                    }
                }
            }
        } catch { record(error, file: "index") }
        // Label index sections and label offset table: checksums, and every value a symbol.
        if idx.toc.labelIndicesTable != 0 {
            do {
                let table = try IndexSection.body(buf, at: Int(idx.toc.labelIndicesTable), path: idx.path, what: "label offset table")
                for e in try LabelIndexTable.decode(table, path: idx.path) {
                    let body = try IndexSection.body(buf, at: e.offset, path: idx.path, what: "label index")
                    _ = try LabelIndexTable.entries(body, symbols: idx.symbols, path: idx.path)
                }
            } catch { record(TSDBError.from(error, path: idx.path), file: "index") }
        }
    }

    private mutating func verifyChunks(_ metas: [ChunkMeta], labels: Labels, at off: Int, meta: BlockMeta?, reader: ChunkSegmentReader?) {
        var prevMax = Int64.min
        for (i, c) in metas.enumerated() {
            chunks += 1
            if c.minTime > c.maxTime { problem("index", off, "chunk \(i) of \(labels) has minTime \(c.minTime) > maxTime \(c.maxTime)") }
            if i > 0 && c.minTime <= prevMax { problem("index", off, "chunk \(i) of \(labels) overlaps the previous chunk") }
            prevMax = c.maxTime
            if let m = meta, c.minTime < m.minTime || c.maxTime >= m.maxTime {
                problem("index", off, "chunk \(i) of \(labels) [\(c.minTime), \(c.maxTime)] outside block range [\(m.minTime), \(m.maxTime))")
            }
            guard let reader else { continue }
            do {
                let (enc, data) = try reader.chunk(c.ref)
                let segFile = "chunks/" + SegmentFormat.name(Int(c.ref >> 32))
                let chunkOff = Int(c.ref & 0xFFFF_FFFF)
                switch enc {
                case ChunkEncoding.xor.rawValue:
                    samples += countXOR(XORIterator(data), "XOR", segFile, chunkOff, c, labels)
                case ChunkEncoding.xor2.rawValue:
                    samples += countXOR(XOR2Iterator(data), "XOR2", segFile, chunkOff, c, labels)
                case ChunkEncoding.aggr.rawValue:
                    let ag = try AggrChunk(decoding: data)
                    for t in AggrType.allCases {
                        guard let part = ag[t] else { continue }
                        if let e = ag.encoding(t), e != ChunkEncoding.xor.rawValue {
                            // Sum and counter of a native histogram series: one sample per window.
                            _ = part.withUnsafeBytes { countHistograms($0, float: e == ChunkEncoding.floatHistogram.rawValue, segFile, chunkOff, c, labels) }
                            continue
                        }
                        // The counter aggregate repeats its last timestamp (the true last raw value).
                        let n = part.withUnsafeBytes { countXOR(XORIterator($0), "XOR", segFile, chunkOff, t == .counter ? nil : c, labels, strict: t != .counter) }
                        if t == .count { samples += n }
                    }
                case ChunkEncoding.histogram.rawValue, ChunkEncoding.floatHistogram.rawValue,
                     ChunkEncoding.histogramST.rawValue, ChunkEncoding.floatHistogramST.rawValue:
                    let e = ChunkEncoding(rawValue: enc)!
                    samples += countHistograms(data, float: e.withoutStartTimestamps == .floatHistogram,
                                               startTimestamps: e != e.withoutStartTimestamps, segFile, chunkOff, c, labels)
                default:
                    // Intact (CRC checked) but not decodable here: noted, not a problem, so a
                    // compactor can still copy the series through (its samples are not counted).
                    unsupportedChunks.append(UnsupportedChunk(series: labels, encoding: enc, file: dir + "/" + segFile, offset: chunkOff))
                }
            } catch { record(error, file: "chunks") }
        }
    }

    /// Decodes a chunk fully; checks its samples are ascending and inside the meta range.
    private mutating func countXOR(_ iterator: some FloatChunkIterator, _ what: String, _ file: String, _ off: Int, _ c: ChunkMeta?,
                                   _ labels: Labels, strict: Bool = true) -> Int {
        var it = iterator
        var n = 0
        var first = Int64.min, last = Int64.min
        while it.next() {
            if n > 0 && (it.t < last || (strict && it.t == last)) { problem(file, off, "samples of \(labels) not ascending at \(it.t)"); return n }
            if n == 0 { first = it.t }
            last = it.t
            n += 1
        }
        if it.failed { problem(file, off, "corrupt \(what) chunk of \(labels): decoded \(it.read) of \(it.total) samples") }
        if let c, n > 0, first != c.minTime || last != c.maxTime {
            problem(file, off, "chunk of \(labels) holds [\(first), \(last)], index says [\(c.minTime), \(c.maxTime)]")
        }
        return n
    }

    /// Decodes a histogram chunk fully (layout, every sample, bucket counts consistent with
    /// the spans); checks timestamps ascend and match the index's range.
    private mutating func countHistograms(_ data: UnsafeRawBufferPointer, float: Bool, startTimestamps st: Bool = false,
                                          _ file: String, _ off: Int, _ c: ChunkMeta, _ labels: Labels) -> Int {
        let what = (float ? "float histogram" : "histogram") + (st ? " (start timestamps)" : "")
        var n = 0, total = 0
        var first = Int64.min, last = Int64.min
        do {
            var ih: HistogramChunkIterator?
            var fh: FloatHistogramChunkIterator?
            if float {
                fh = try FloatHistogramChunkIterator(data, startTimestamps: st)
                total = fh!.total
            } else {
                ih = try HistogramChunkIterator(data, startTimestamps: st)
                total = ih!.total
            }
            while true {
                let t: Int64
                if float {
                    guard try fh!.next() else { break }
                    t = fh!.t
                } else {
                    guard try ih!.next() else { break }
                    t = ih!.t
                }
                if n > 0 && t <= last { problem(file, off, "samples of \(labels) not ascending at \(t)"); return n }
                if n == 0 { first = t }
                last = t
                n += 1
            }
        } catch {
            let at = if case .invalid(let o, _) = error { o } else if case .truncated(let o) = error { o } else { 0 }
            problem(file, off, "corrupt \(what) chunk of \(labels): decoded \(n) of \(total) samples: \(error) (byte \(at) of the chunk data)")
            return n
        }
        if total == 0 { problem(file, off, "empty \(what) chunk of \(labels)") }
        if n > 0, first != c.minTime || last != c.maxTime {
            problem(file, off, "chunk of \(labels) holds [\(first), \(last)], index says [\(c.minTime), \(c.maxTime)]")
        }
        return n
    }
}
