import Foundation
import StrataCore
import StrataStoreAPI
import StrataTSDB

/// A Store API over blocks opened from local directories: series by matchers and time
/// range, external labels attached, resolution chosen per `max_resolution_window`, the
/// requested aggregates of downsampled chunks, `skip_chunks`, label names and values. It is
/// the in-process store used by tests and tools, and the selection logic the bucket-backed
/// gateway builds on.
public final class LocalBlockStore: StoreClient {
    public let name: String
    let blocks: [BlockReader]
    let component: String

    public init(name: String = "local", blocks: [BlockReader], component: String = "store") {
        self.name = name
        self.blocks = blocks
        self.component = component
    }

    /// Opens every block directory under `dir` (ignoring `*.tmp*` and non-blocks).
    public convenience init(directory dir: String) throws {
        var readers: [BlockReader] = []
        for n in try listDirectory(dir) where n.count == 26 && !n.contains(".") {
            readers.append(try BlockReader(dir: dir + "/" + n))
        }
        self.init(name: dir, blocks: readers)
    }

    public func info() async throws -> Thanos_Info_InfoResponse {
        var r = Thanos_Info_InfoResponse()
        r.componentType = component
        var sets: [Labels] = []
        for b in blocks where !sets.contains(b.meta.externalLabels) { sets.append(b.meta.externalLabels) }
        r.labelSets = sets.map { s in
            var z = Thanos_ZLabelSet()
            z.labels = s.proto
            return z
        }
        var s = Thanos_Info_StoreInfo()
        s.minTime = blocks.map(\.meta.minTime).min() ?? Int64.max
        s.maxTime = (blocks.map(\.meta.maxTime).max() ?? Int64.min + 1) - 1
        s.supportsSharding = false
        s.supportsWithoutReplicaLabels = false
        r.store = s
        return r
    }

    /// The block's matchers with those on external labels decided here: nil when an external
    /// label rules the whole block out.
    public static func blockMatchers(_ ms: [Matcher], external: Labels) -> [Matcher]? {
        var rest: [Matcher] = []
        for m in ms {
            if external.has(m.name) {
                if !m.matches(external[m.name]) { return nil }
            } else {
                rest.append(m)
            }
        }
        return rest
    }

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let query = try SeriesQuery(request)
        let chosen = query.blocks(blocks, meta: \.meta)
        var lists: [[SeriesGroups<BlockReader>.Found]] = []
        for b in chosen {
            guard let ms = Self.blockMatchers(query.matchers, external: b.meta.externalLabels) else { continue }
            var found: [SeriesGroups<BlockReader>.Found] = []
            try b.forEachSeries(matching: ms, minTime: query.minTime, maxTime: query.maxTime) { s in
                guard let (labels, chunks) = query.select(s, external: b.meta.externalLabels) else { return }
                found.append((labels, SeriesPart(block: b, chunks: chunks, blockMinTime: b.meta.minTime)))
            }
            lists.append(found)
        }
        let groups = SeriesGroups(merging: lists)
        for i in 0..<groups.count {
            var out = Thanos_Series()
            out.labels = groups.entries[i].labels.proto
            if !request.skipChunks {
                do {
                    for p in groups.partsInTimeOrder(i) { out.chunks += try chunks(of: p, aggregates: request.aggregates) }
                } catch let u as UnsupportedChunkEncoding {
                    // A chunk the Store API cannot carry leaves out only its series, with a warning.
                    try await onResponse(.warning(u.warning(groups.entries[i].labels)))
                    continue
                }
            }
            try await onResponse(.series(out))
        }
    }

    func chunks(of p: SeriesPart<BlockReader>, aggregates: [Thanos_Aggr]) throws -> [Thanos_AggrChunk] {
        var out: [Thanos_AggrChunk] = []
        for c in p.chunks {
            let (enc, data) = try p.block.chunks.chunk(c.ref)
            let a = try ChunkConversion.aggrChunk(encoding: enc, data: data, minTime: c.minTime, maxTime: c.maxTime,
                                                  aggregates: aggregates, block: p.block.meta.ulid)
            out.append(a)
        }
        return out
    }

    func blocksIn(_ start: Int64, _ end: Int64) -> [BlockReader] {
        blocks.filter { $0.meta.minTime <= end && $0.meta.maxTime > start }
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        let ms = try storeMatchers(request.matchers)
        var names = Set<String>()
        for b in blocksIn(request.start, request.end) {
            guard let bm = Self.blockMatchers(ms, external: b.meta.externalLabels) else { continue }
            names.formUnion(try b.labelNames(matching: bm))
            for l in b.meta.externalLabels.pairs { names.insert(l.name) }
        }
        var r = Thanos_LabelNamesResponse()
        r.names = names.sorted(by: bytewiseLess)
        return r
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        let ms = try storeMatchers(request.matchers)
        var values = Set<String>()
        for b in blocksIn(request.start, request.end) {
            guard let bm = Self.blockMatchers(ms, external: b.meta.externalLabels) else { continue }
            let ext = b.meta.externalLabels
            if ext.has(request.label) {
                values.insert(ext[request.label])
            } else {
                values.formUnion(try b.labelValues(request.label, matching: bm))
            }
        }
        var r = Thanos_LabelValuesResponse()
        r.values = values.sorted(by: bytewiseLess)
        return r
    }
}
