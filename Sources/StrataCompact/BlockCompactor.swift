import StrataCore
import StrataTSDB

/// Merges blocks into one (a compaction step) by a streaming k-way merge over the inputs'
/// series, which every block stores in label order: one series of each input is in memory
/// at a time, and the output index is written as series arrive (its symbol table is the
/// union of the inputs'). Chunks are copied unchanged where blocks do not overlap in time —
/// as Prometheus does — and samples are merged (identical timestamps kept once, the earlier
/// block's value winning) and re-chunked where they do, or where tombstones delete samples.
/// The result covers the union of the input ranges with level = max(input levels) + 1, the
/// union of sources, and the inputs as parents.
public enum BlockCompactor {
    /// - Parameters:
    ///   - replicaLabels: external label names that may differ between the inputs and are
    ///     dropped from the output's labels — replicas of one Prometheus deduplicated into one
    ///     block (`--deduplication.replica-label`).
    ///   - ulid: the new block's ID (the compactor picks it to know the output directory).
    ///   - onUnsupportedChunk: called for each chunk of an encoding Strata cannot decode
    ///     (XOR2, start-timestamp histograms, an unknown byte) that was copied through byte
    ///     for byte, with its input block and series. Such a series is only ever copied: where
    ///     it would need merging (overlap, tombstones) the compaction throws
    ///     `TSDBError.unsupportedEncoding` naming the input block.
    public static func compact(blockDirs: [String], outParentDir: String, replicaLabels: Set<String> = [],
                               ulid: ULID = ULID(),
                               onUnsupportedChunk: (_ block: ULID, _ series: Labels, _ encoding: UInt8) -> Void = { _, _, _ in }) throws -> BlockMeta {
        guard !blockDirs.isEmpty else { throw TSDBError.invalidArgument("nothing to compact") }
        let blocks = try blockDirs.map { try BlockReader(dir: $0) }.sorted { ($0.meta.minTime, $0.meta.ulid) < ($1.meta.minTime, $1.meta.ulid) }
        let first = blocks[0].meta
        let outLabels = first.externalLabels.removing(replicaLabels)
        for b in blocks.dropFirst() {
            guard b.meta.externalLabels.removing(replicaLabels) == outLabels else {
                throw TSDBError.invalidArgument("cannot compact blocks with different external labels: \(first.ulid) \(first.externalLabels), \(b.meta.ulid) \(b.meta.externalLabels)")
            }
            guard b.meta.resolution == first.resolution else {
                throw TSDBError.invalidArgument("cannot compact blocks of different resolutions: \(first.ulid), \(b.meta.ulid)")
            }
        }
        let minT = blocks.map(\.meta.minTime).min()!, maxT = blocks.map(\.meta.maxTime).max()!
        var overlapping = false
        var reach = Int64.min
        for b in blocks {
            if b.meta.minTime < reach { overlapping = true }
            reach = max(reach, b.meta.maxTime)
        }

        let w = try BlockWriter(parentDir: outParentDir, ulid: ulid, minTime: minT, maxTime: maxT,
                                symbols: unionOfSymbols(blocks.map(\.index.symbols)))
        do {
            let cursors = try blocks.enumerated().map { try SeriesCursor(block: $0.offset, reader: $0.element) }
            var group: [(block: Int, series: BlockSeries)] = []
            while let labels = cursors.compactMap({ $0.current?.labels }).min() {
                group.removeAll(keepingCapacity: true)
                for c in cursors where c.current?.labels == labels {
                    group.append((c.block, c.current!))
                    try c.advance()
                }
                let needsMerge = overlapping || group.contains { !blocks[$0.block].tombstones.get($0.series.ref).isEmpty }
                if needsMerge && first.resolution != 0 {
                    throw TSDBError.invalidArgument("overlapping downsampled blocks cannot be merged (\(group.map { blocks[$0.block].meta.ulid }))")
                }
                let parts = group.map { (blocks[$0.block], $0.series) }
                if needsMerge {
                    if let bad = try MixedSeriesMerge.undecodableChunk(parts) {
                        throw TSDBError.unsupportedEncoding(block: bad.0.dir, series: labels, encoding: bad.1)
                    }
                    if try MixedSeriesMerge.needsMixedMerge(parts) {
                        try w.add(labels, chunks: try MixedSeriesMerge.chunks(parts))
                    } else {
                        let (ts, vs) = try mergedSamples(parts)
                        try w.add(labels, timestamps: ts, values: vs)
                    }
                } else {
                    try w.add(labels, chunks: try copiedChunks(parts, onUnsupportedChunk))
                }
            }
        } catch {
            w.abort()
            throw error
        }
        return try w.commit { m in
            m.compaction.level = (blocks.map(\.meta.compaction.level).max() ?? 0) + 1
            m.compaction.sources = Array(Set(blocks.flatMap { $0.meta.compaction.sources.isEmpty ? [$0.meta.ulid] : $0.meta.compaction.sources })).sorted()
            m.compaction.parents = blocks.map { BlockMeta.BlockDesc(ulid: $0.meta.ulid, minTime: $0.meta.minTime, maxTime: $0.meta.maxTime) }
            var th = first.thanos ?? ThanosMeta()
            th.labels = Dictionary(outLabels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            th.source = "compactor"
            th.files = []
            th.segmentFiles = []
            th.rewrites = []
            m.thanos = th
        }
    }

    /// The inputs' symbol tables (each sorted bytewise) merged into one sorted, unique table.
    static func unionOfSymbols(_ tables: [[String]]) -> [String] {
        var all = Set<String>()
        for t in tables { all.formUnion(t) }
        return all.sorted(by: bytewiseLess)
    }

    /// The chunks of one series from non-overlapping blocks (in time order), unchanged —
    /// including chunks of encodings Strata cannot decode, which are reported.
    private static func copiedChunks(_ parts: [(BlockReader, BlockSeries)],
                                     _ onUnsupported: (ULID, Labels, UInt8) -> Void) throws -> [EncodedChunk] {
        var list: [EncodedChunk] = []
        for (block, series) in parts {
            for c in series.chunks {
                let (enc, data) = try block.chunks.chunk(c.ref)
                guard let e = ChunkEncoding(rawValue: enc) else {
                    onUnsupported(block.meta.ulid, series.labels, enc)
                    list.append(.opaque(encoding: enc, data: Array(data), minTime: c.minTime, maxTime: c.maxTime))
                    continue
                }
                // Histogram and start-timestamp chunks are copied as they are, like XOR ones.
                list.append(EncodedChunk(encoding: e, data: Array(data), minTime: c.minTime, maxTime: c.maxTime,
                                         numSamples: try e.sampleCount(data)))
            }
        }
        return list
    }

    /// The samples of one series over overlapping blocks: each block's samples are sorted, so
    /// they merge pairwise; on an equal timestamp the earlier block's sample is kept.
    private static func mergedSamples(_ parts: [(BlockReader, BlockSeries)]) throws -> ([Int64], [Double]) {
        var mt: [Int64] = [], mv: [Double] = []
        var ts: [Int64] = [], vs: [Double] = []
        for (block, series) in parts {
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            try block.samples(of: series, into: &ts, &vs)
            if mt.isEmpty {
                swap(&mt, &ts)
                swap(&mv, &vs)
                continue
            }
            var ot: [Int64] = [], ov: [Double] = []
            ot.reserveCapacity(mt.count + ts.count)
            ov.reserveCapacity(mt.count + ts.count)
            var i = 0, j = 0
            while i < mt.count || j < ts.count {
                if j == ts.count || (i < mt.count && mt[i] <= ts[j]) {
                    if j < ts.count && mt[i] == ts[j] { j += 1 }
                    ot.append(mt[i]); ov.append(mv[i]); i += 1
                } else {
                    ot.append(ts[j]); ov.append(vs[j]); j += 1
                }
            }
            mt = ot
            mv = ov
        }
        return (mt, mv)
    }
}

/// Walks one block's series in index (label) order, skipping series without chunks.
private final class SeriesCursor {
    let block: Int
    let reader: BlockReader
    private let refs: [UInt32]
    private var pos = 0
    private var metas: [ChunkMeta] = []
    private(set) var current: BlockSeries?

    init(block: Int, reader: BlockReader) throws {
        self.block = block
        self.reader = reader
        refs = try reader.index.allPostings()
        try advance()
    }

    func advance() throws {
        while pos < refs.count {
            let ref = refs[pos]
            pos += 1
            let labels = try reader.index.series(ref, chunks: &metas)
            if metas.isEmpty { continue }
            current = BlockSeries(ref: ref, labels: labels, chunks: metas)
            return
        }
        current = nil
    }
}
