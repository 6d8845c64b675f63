import StrataCore

/// A series deletion: series matching all matchers lose their samples in `intervals`
/// (everything when no intervals are given). Thanos's `DeletionRequest`.
public struct DeletionRequest: Sendable {
    public var matchers: [Matcher]
    public var intervals: [TimeInterval]
    public init(matchers: [Matcher], intervals: [TimeInterval] = []) {
        self.matchers = matchers
        self.intervals = intervals
    }

    /// JSON as Thanos records it in `thanos.rewrites[].deletions_applied`.
    var json: JSONValue {
        let types: [MatchType: Int64] = [.equal: 0, .notEqual: 1, .regexMatch: 2, .regexNoMatch: 3]
        var o = [JSONMember("matchers", .array(matchers.map {
            .object([JSONMember("Type", .int(types[$0.type]!)), JSONMember("Name", .string($0.name)), JSONMember("Value", .string($0.value))])
        }))]
        if !intervals.isEmpty {
            o.append(JSONMember("intervals", .array(intervals.map {
                .object([JSONMember("Mint", .int($0.minTime)), JSONMember("Maxt", .int($0.maxTime))])
            })))
        }
        return .object(o)
    }
}

/// Rewrites a block through `BlockWriter`: series hit by a deletion lose those samples (or
/// vanish), tombstones are applied, everything else is copied chunk by chunk unchanged. The
/// result has a new ULID and a `thanos.rewrites` entry naming the source.
public enum BlockRewriter {
    public struct Result: Sendable {
        public var meta: BlockMeta
        public var seriesDeleted = 0
        public var seriesChanged = 0
    }

    public static func rewrite(blockDir: String, outParentDir: String, deletions: [DeletionRequest]) throws -> Result {
        let src = try BlockReader(dir: blockDir)
        let w = try BlockWriter(parentDir: outParentDir, minTime: src.meta.minTime, maxTime: src.meta.maxTime)
        var deleted = 0, changed = 0
        var ts: [Int64] = [], vs: [Double] = []
        try src.forEachSeries(matching: []) { s in
            var cut = src.tombstones.get(s.ref)
            for d in deletions where s.labels.matches(d.matchers) {
                if d.intervals.isEmpty { cut = [TimeInterval(.min, .max)]; break }
                cut += d.intervals
            }
            if cut.isEmpty {
                var list: [EncodedChunk] = []
                for c in s.chunks {
                    let (enc, data) = try src.chunks.chunk(c.ref)
                    guard let e = ChunkEncoding(rawValue: enc) else {
                        throw TSDBError.invalidArgument("\(blockDir): cannot rewrite chunk encoding \(enc)")
                    }
                    list.append(EncodedChunk(encoding: e, data: Array(data), minTime: c.minTime, maxTime: c.maxTime,
                                             numSamples: try e.sampleCount(data)))
                }
                try w.add(s.labels, chunks: list)
                return
            }
            if try hasHistogramChunks(src, s) {
                let list = try rechunk(src, s, dropping: cut)
                if list.isEmpty { deleted += 1 } else { changed += 1 }
                try w.add(s.labels, chunks: list)
                return
            }
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            try src.samples(of: s, into: &ts, &vs)
            var kt: [Int64] = [], kv: [Double] = []
            for i in 0..<ts.count where !cut.contains(where: { $0.contains(ts[i]) }) {
                kt.append(ts[i])
                kv.append(vs[i])
            }
            if kt.isEmpty { deleted += 1 } else { changed += 1 }
            try w.add(s.labels, timestamps: kt, values: kv)
        }
        let meta = try w.commit { m in
            m.compaction = src.meta.compaction
            var th = src.meta.thanos ?? ThanosMeta()
            th.files = []
            th.segmentFiles = []
            th.source = "bucket.rewrite"
            th.rewrites.append(.object([
                JSONMember("sources", .array([.string(src.meta.ulid.description)])),
                JSONMember("deletions_applied", .array(deletions.map(\.json))),
            ]))
            m.thanos = th
            m.extra = src.meta.extra
        }
        return Result(meta: meta, seriesDeleted: deleted, seriesChanged: changed)
    }
}
