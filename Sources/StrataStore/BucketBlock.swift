import StrataCore
import StrataObjStore
import StrataTSDB

/// One block served from the bucket: its meta.json, its local index-header, and the ranged
/// reads that answer a query — postings lists, then series entries, then chunks — each
/// batch coalesced into few GETs by a `RangeFetcher`.
public final class BucketBlock: Sendable {
    public let meta: BlockMeta
    public let header: IndexHeader
    public let externalLabels: Labels
    let indexKey: String
    /// Postings lists and series entries already read by earlier queries (nil: no cache).
    let cache: (any IndexCache)?

    /// How far past a series entry's start to read when its length is not known yet (the
    /// next entry bounds it too); longer entries are read again exactly.
    static let seriesEstimate: Int64 = 1024
    /// The same for chunk records (a 120-sample XOR chunk is typically 100-300 bytes).
    static let chunkEstimate: Int64 = 2048

    public init(meta: BlockMeta, header: IndexHeader, cache: (any IndexCache)? = nil) {
        self.meta = meta
        self.header = header
        self.cache = cache
        self.externalLabels = meta.externalLabels
        self.indexKey = meta.ulid.description + "/index"
    }

    public var id: ULID { meta.ulid }

    func segmentKey(_ seg: Int) -> String { meta.ulid.description + "/chunks/" + SegmentFormat.name(seg) }

    // MARK: postings

    /// Series IDs whose labels satisfy all matchers (`PostingsForMatchers`, planned on the
    /// index-header), with every postings list the plan needs fetched in one coalesced batch.
    public func postings(_ matchers: [Matcher], fetcher: RangeFetcher) async throws -> [UInt32] {
        let plan = PostingsForMatchers.plan(matchers, in: header.postingsTable)
        guard !plan.isEmpty else { return [] }
        let lists = try await postingsLists(plan.lists.map { header.postingsRange(at: $0) }, fetcher: fetcher)
        return plan.result { lists[$0] ?? [] }
    }

    /// Decoded postings lists by offset: cached ones from the index cache, the others read
    /// in one coalesced batch (and then cached, exactly their section's bytes).
    func postingsLists(_ ranges: [ByteRange], fetcher: RangeFetcher) async throws -> [Int64: [UInt32]] {
        var out: [Int64: [UInt32]] = [:]
        var unique: [Int64: ByteRange] = [:]
        for r in ranges { unique[r.start] = r }
        let keys = unique.keys.map { IndexCacheKey(block: id, item: .postings, offset: $0) }
        let cached = await cache?.fetch(keys) ?? []
        for (k, raw) in zip(keys, cached) {
            if let raw { out[k.offset] = try decodePostings(raw[...], at: k.offset) }
        }
        let misses = unique.values.filter { out[$0.start] == nil }
        guard !misses.isEmpty else { return out }
        let fetched = try await fetcher.fetch(indexKey, misses)
        for r in misses {
            guard let b = fetched.bytes(from: r.start) else {
                throw TSDBError.corrupt(path: indexKey, offset: Int(r.start), "postings list not fetched")
            }
            out[r.start] = try decodePostings(b, at: r.start)
            if let cache, b.count >= 4 {
                let len = Int(b[b.startIndex]) << 24 | Int(b[b.startIndex + 1]) << 16 | Int(b[b.startIndex + 2]) << 8 | Int(b[b.startIndex + 3])
                await cache.store(IndexCacheKey(block: id, item: .postings, offset: r.start), Array(b.prefix(4 + len + 4)))
            }
        }
        return out
    }

    func decodePostings(_ b: ArraySlice<UInt8>, at offset: Int64) throws -> [UInt32] {
        try b.withUnsafeBytes { try Postings.decodeList($0, at: 0, base: Int(offset), path: indexKey) }
    }

    // MARK: series

    /// Labels and chunk metas of the series `refs` (sorted ascending, as postings are),
    /// read with coalesced ranges; entries longer than the estimate are re-read exactly.
    public func series(_ refs: [UInt32], fetcher: RangeFetcher) async throws -> [BlockSeries] {
        guard !refs.isEmpty else { return [] }
        // Positional: entry i is refs[i]'s (hashing refs cost more than decoding small entries).
        var decoded = [BlockSeries?](repeating: nil, count: refs.count)
        if let cache {
            let cached = await cache.fetch(refs.map { IndexCacheKey(block: id, item: .series, offset: Int64($0) * 16) })
            // Thousands of entries (a dashboard's bucket series) are decoded on all cores:
            // one core decoding them was a tenth of such a query's time, with the other idle.
            let decodedCached = concurrentMap(cached.count, parallel: cached.count >= Self.parallelDecodeEntries) { i in
                Result { try cached[i].flatMap { try decodeSeries(refs[i], $0[...]) } }
            }
            for (i, r) in decodedCached.enumerated() { decoded[i] = try r.get() }
        }
        let missingAt = refs.indices.filter { decoded[$0] == nil }
        let missing = missingAt.map { refs[$0] }
        if !missing.isEmpty {
            let end = Int64(header.toc.seriesEnd)
            var ranges: [ByteRange] = []
            ranges.reserveCapacity(missing.count)
            for (i, ref) in missing.enumerated() {
                let start = Int64(ref) * 16
                var stop = min(start + Self.seriesEstimate, end)
                if i + 1 < missing.count { stop = min(stop, Int64(missing[i + 1]) * 16) }
                ranges.append(ByteRange(start, max(stop, start + 1)))
            }
            let fetched = try await fetcher.fetch(indexKey, ranges)
            for (position, ref) in zip(missingAt, missing) {
                let start = Int64(ref) * 16
                guard var b = fetched.bytes(from: start) else {
                    throw TSDBError.corrupt(path: indexKey, offset: Int(start), "series \(ref) not fetched")
                }
                var s = try decodeSeries(ref, b)
                if s == nil {
                    // Longer than what was read: read the exact entry (its length is known now).
                    let need = try entryLength(b, at: start)
                    b = try await fetcher.fetchOne(indexKey, ByteRange(start, start + need))[...]
                    s = try decodeSeries(ref, b)
                }
                guard let s else {
                    throw TSDBError.corrupt(path: indexKey, offset: Int(start), "series entry runs past the end of the index")
                }
                decoded[position] = s
                if let cache {
                    await cache.store(IndexCacheKey(block: id, item: .series, offset: start), Array(b.prefix(Int(try entryLength(b, at: start)))))
                }
            }
        }
        return decoded.compactMap { $0 }
    }

    /// Total bytes of the `uvarint len | body | CRC` record starting in `b`.
    func entryLength(_ b: ArraySlice<UInt8>, at: Int64) throws -> Int64 {
        guard let (start, len) = b.withUnsafeBytes({ IndexSection.recordLength($0, at: 0) }) else {
            throw TSDBError.corrupt(path: indexKey, offset: Int(at), "invalid record length")
        }
        return Int64(start + len + 4)
    }

    /// Decodes a series entry; nil when `b` holds only part of it.
    static let parallelDecodeEntries = 512

    func decodeSeries(_ ref: UInt32, _ b: ArraySlice<UInt8>) throws -> BlockSeries? {
        var chunks: [ChunkMeta] = []
        let labels = try b.withUnsafeBytes { buf in
            try SeriesEntry.decode(buf, at: 0, base: Int(ref) * 16, symbols: header.symbols, path: indexKey, chunks: &chunks)
        }
        return labels.map { BlockSeries(ref: ref, labels: $0, chunks: chunks) }
    }

    // MARK: chunks

    /// A chunk record: encoding byte and data.
    public struct RawChunk: Sendable {
        public var encoding: UInt8
        /// A slice of the fetched range: the chunk is copied once, into the response.
        public var data: ArraySlice<UInt8>
        /// The first two data bytes, big-endian: the sample count of XOR and histogram
        /// chunks. Read while the record is in cache for its CRC, so that counting a query's
        /// samples later does not touch every chunk's memory again.
        public var header: UInt16 = 0
    }

    /// The chunk records at `refs`, in the order asked (element `i` is `refs[i]`'s), fetched
    /// per segment with coalesced ranges, CRC checked. An array, not a table by reference: a
    /// query's hundreds of thousands of chunks are then placed and read back without hashing.
    public func chunks(_ refs: [ChunkRef], fetcher: RangeFetcher) async throws -> [RawChunk] {
        // Positions in `refs` by segment; a block's series ask for their chunks in file order,
        // so the lists are usually sorted already.
        var bySegment: [Int: [(offset: Int64, index: Int)]] = [:]
        for (i, ref) in refs.enumerated() { bySegment[Int(ref >> 32), default: []].append((Int64(ref & 0xFFFF_FFFF), i)) }
        var out = [RawChunk](repeating: RawChunk(encoding: 0, data: []), count: refs.count)
        for (seg, list) in bySegment {
            let key = segmentKey(seg)
            var sorted = list
            if !zip(list, list.dropFirst()).allSatisfy({ $0.offset <= $1.offset }) { sorted.sort { $0.offset < $1.offset } }
            // Each record is read up to the next one (or an estimate); the fetcher merges them.
            var ranges: [ByteRange] = []
            ranges.reserveCapacity(sorted.count)
            for (i, e) in sorted.enumerated() {
                var stop = e.offset + Self.chunkEstimate
                if i + 1 < sorted.count, sorted[i + 1].offset > e.offset { stop = min(stop, sorted[i + 1].offset) }
                ranges.append(ByteRange(e.offset, stop))
            }
            let fetched = try await fetcher.fetch(key, ranges)
            for e in sorted {
                guard let b = fetched.bytes(from: e.offset) else {
                    throw TSDBError.corrupt(path: key, offset: Int(e.offset), "chunk reference past the end of the segment")
                }
                if let c = try decodeChunk(b, key: key, at: e.offset) {
                    out[e.index] = c
                } else {
                    let need = try entryLength(b, at: e.offset) + 1
                    let bytes = try await fetcher.fetchOne(key, ByteRange(e.offset, e.offset + need))
                    guard let c = try decodeChunk(bytes[...], key: key, at: e.offset) else {
                        throw TSDBError.corrupt(path: key, offset: Int(e.offset), "chunk runs past the end of the segment")
                    }
                    out[e.index] = c
                }
            }
        }
        return out
    }

    /// `uvarint len | encoding | data | CRC(encoding + data)`; nil when `b` holds only part.
    func decodeChunk(_ b: ArraySlice<UInt8>, key: String, at: Int64) throws -> RawChunk? {
        try b.withUnsafeBytes { buf -> RawChunk? in
            var r = ByteReader(buf)
            let n: Int
            do { n = try r.uvarintInt() } catch { return nil }
            let start = r.pos
            guard start + 1 + n + 4 <= buf.count else { return nil }
            let rec = UnsafeRawBufferPointer(rebasing: buf[start..<(start + 1 + n)])
            var cr = ByteReader(buf, pos: start + 1 + n)
            let want = try cr.be32()
            guard want == CRC32C.checksum(rec) else {
                throw TSDBError.corrupt(path: key, offset: Int(at), "chunk checksum mismatch")
            }
            return RawChunk(encoding: rec[0], data: b[(b.startIndex + start + 1)..<(b.startIndex + start + 1 + n)],
                            header: n < 2 ? 0 : UInt16(rec[1]) << 8 | UInt16(rec[2]))
        }
    }
}
