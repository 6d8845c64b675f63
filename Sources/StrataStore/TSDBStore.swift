import Foundation
import StrataCore
import StrataStoreAPI
import StrataTSDB
import Synchronization

/// The Store API over a data dir that a `Head` writes: the head's in-memory series plus the
/// blocks it has been cut into (and any other block in the directory), with the external
/// labels attached — what Thanos's ruler and receiver serve, so fresh samples are queryable
/// before any block reaches the bucket.
///
/// The blocks are listed on every request and opened once each: a block that the head just
/// wrote is seen by the next request, a block deleted by retention is dropped. A head chunk
/// older than the newest listed block's end is left out: it is in that block (the head drops
/// it right after the block is in place), and serving both would double its samples.
public final class TSDBStore: StoreClient {
    public let name: String
    let head: Head
    let externalLabels: Labels
    let component: String
    private let opened = Mutex<[ULID: BlockReader]>([:])
    /// Names the head in chunk warnings (its chunks are ones the head encoded itself, so a
    /// warning would be a bug).
    static let headID = ULID(bytes: [UInt8](repeating: 0, count: 16))

    public init(name: String = "tsdb", head: Head, externalLabels: Labels, component: String) {
        self.name = name
        self.head = head
        self.externalLabels = externalLabels
        self.component = component
    }

    /// The complete blocks in the head's directory, opened (and cached) as they appear.
    func blocks() throws -> [BlockReader] {
        var found: [ULID] = []
        for n in try listDirectory(head.dir) where n.count == 26 {
            guard let id = try? ULID(parsing: n), fileExists(head.dir + "/" + n + "/meta.json") else { continue }
            found.append(id)
        }
        return try opened.withLock { cache in
            var next: [ULID: BlockReader] = [:]
            for id in found {
                next[id] = try cache[id] ?? BlockReader(dir: head.dir + "/" + id.description)
            }
            cache = next
            return found.sorted().compactMap { next[$0] }
        }
    }

    public func info() async throws -> Thanos_Info_InfoResponse {
        var r = Thanos_Info_InfoResponse()
        r.componentType = component
        var z = Thanos_ZLabelSet()
        z.labels = externalLabels.proto
        r.labelSets = [z]
        var s = Thanos_Info_StoreInfo()
        let blockMin = try blocks().map(\.meta.minTime).min() ?? .max
        s.minTime = min(blockMin, head.stats.minTime ?? .max)
        if s.minTime == .max { s.minTime = .min }
        // Samples keep arriving: no upper bound, as Thanos's ruler and receiver advertise.
        s.maxTime = .max
        r.store = s
        return r
    }

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let matchers = try SeriesQuery(request).matchers
        guard let headMatchers = LocalBlockStore.blockMatchers(matchers, external: externalLabels) else { return }
        let blocks = try blocks()
        let blocksEnd = blocks.map(\.meta.maxTime).max() ?? .min

        // The blocks' series, in label order (LocalBlockStore sorts and merges them).
        let fromBlocks = Mutex<[Thanos_Series]>([])
        let warnings = Mutex<[Thanos_SeriesResponse]>([])
        try await LocalBlockStore(name: name, blocks: blocks, component: component).series(request) { r in
            if case .series(let s)? = r.result { fromBlocks.withLock { $0.append(s) } } else { warnings.withLock { $0.append(r) } }
        }
        for w in warnings.withLock({ $0 }) { try await onResponse(w) }

        var fromHead: [Thanos_Series] = []
        let shard = request.seriesShard
        for (labels, chunks) in head.series(matching: headMatchers, minTime: max(request.minTime, blocksEnd), maxTime: request.maxTime) {
            let all = labels.merging(externalLabels)
            if let shard, !shard.contains(all) { continue }
            var s = Thanos_Series()
            s.labels = all.proto
            if !request.skipChunks {
                for c in chunks where c.minTime >= blocksEnd {
                    s.chunks.append(try c.data.withUnsafeBytes {
                        try ChunkConversion.aggrChunk(encoding: c.encoding.rawValue, data: $0, minTime: c.minTime, maxTime: c.maxTime,
                                                      aggregates: request.aggregates, block: Self.headID)
                    })
                }
                if s.chunks.isEmpty { continue }
            }
            fromHead.append(s)
        }

        // Merge the two sorted lists; a series in both gets the blocks' chunks, then the head's.
        var a = fromBlocks.withLock { $0 }[...], b = fromHead[...]
        while !a.isEmpty || !b.isEmpty {
            let c: Int
            if a.isEmpty { c = 1 } else if b.isEmpty { c = -1 } else {
                c = Labels.compare(Labels(proto: a.first!.labels), Labels(proto: b.first!.labels))
            }
            if c < 0 {
                try await onResponse(.series(a.removeFirst()))
            } else if c > 0 {
                try await onResponse(.series(b.removeFirst()))
            } else {
                var s = a.removeFirst()
                s.chunks += b.removeFirst().chunks
                try await onResponse(.series(s))
            }
        }
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        var names = Set(try await LocalBlockStore(name: name, blocks: try blocks(), component: component).labelNames(request).names)
        let ms = try storeMatchers(request.matchers)
        if let hm = LocalBlockStore.blockMatchers(ms, external: externalLabels) {
            let inHead = head.series(matching: hm, minTime: request.start, maxTime: request.end)
            for (labels, _) in inHead { for p in labels.pairs { names.insert(p.name) } }
            if !inHead.isEmpty { for p in externalLabels.pairs { names.insert(p.name) } }
        }
        var r = Thanos_LabelNamesResponse()
        r.names = names.sorted(by: bytewiseLess)
        return r
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        var values = Set(try await LocalBlockStore(name: name, blocks: try blocks(), component: component).labelValues(request).values)
        let ms = try storeMatchers(request.matchers)
        if let hm = LocalBlockStore.blockMatchers(ms, external: externalLabels) {
            for (labels, _) in head.series(matching: hm, minTime: request.start, maxTime: request.end) {
                let v = externalLabels.has(request.label) ? externalLabels[request.label] : labels[request.label]
                if !v.isEmpty { values.insert(v) }
            }
        }
        var r = Thanos_LabelValuesResponse()
        r.values = values.sorted(by: bytewiseLess)
        return r
    }
}
