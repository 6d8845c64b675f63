import StrataObjStore

/// A half-open byte range `[start, end)` of one object.
public struct ByteRange: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    public init(_ start: Int64, _ end: Int64) {
        self.start = start
        self.end = end
    }
    public var count: Int64 { end - start }
}

/// Bytes fetched from one object: disjoint parts sorted by offset.
public struct FetchedRanges: Sendable {
    var parts: [(start: Int64, bytes: [UInt8])] = []

    /// The bytes from `offset` to the end of the part holding it (the caller decodes as much
    /// as it needs and checks the length itself); nil when `offset` was not fetched.
    public func bytes(from offset: Int64) -> ArraySlice<UInt8>? {
        var lo = 0, hi = parts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if parts[mid].start <= offset { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let p = parts[lo - 1]
        let at = Int(offset - p.start)
        guard at < p.bytes.count else { return nil }
        return p.bytes[at...]
    }
}

/// Reads many small ranges of an object (postings lists, series entries, chunks) with few
/// GETs: ranges closer than `maxGap` are merged into one request, up to `maxRange` bytes,
/// and the merged requests run `concurrency` at a time. Every request is charged to the
/// request's `RequestBudget` before it is sent.
public struct RangeFetcher: Sendable {
    public let bucket: any Bucket
    public let budget: RequestBudget
    public var maxGap: Int64 = 32 << 10
    public var maxRange: Int64 = 16 << 20
    public var concurrency = 8

    public init(bucket: any Bucket, budget: RequestBudget) {
        self.bucket = bucket
        self.budget = budget
    }

    /// Merges ranges that overlap or lie within `maxGap` of each other, never beyond `maxSize`.
    public static func coalesce(_ ranges: [ByteRange], maxGap: Int64, maxSize: Int64) -> [ByteRange] {
        let sorted = ranges.filter { $0.count > 0 }.sorted { $0.start < $1.start }
        var out: [ByteRange] = []
        for r in sorted {
            if var last = out.last, r.start <= last.end + maxGap, max(last.end, r.end) - last.start <= maxSize {
                last.end = max(last.end, r.end)
                out[out.count - 1] = last
            } else {
                out.append(r)
            }
        }
        return out
    }

    public func fetch(_ key: String, _ ranges: [ByteRange]) async throws -> FetchedRanges {
        let merged = Self.coalesce(ranges, maxGap: maxGap, maxSize: maxRange)
        var result = FetchedRanges()
        // One request (a recent instant's chunks, say) in the calling task: a child task is
        // two hops between threads, more than a local read takes.
        if merged.count == 1 {
            result.parts = [(merged[0].start, try await fetchOne(key, merged[0]))]
            return result
        }
        try await withThrowingTaskGroup(of: (Int64, [UInt8]).self) { group in
            var next = 0
            func add() throws {
                let r = merged[next]
                next += 1
                try budget.reserveFetch(Int(r.count))
                group.addTask(executorPreference: globalConcurrentExecutor) {
                    (r.start, try await bucket.getRange(key, offset: r.start, length: r.count).collect())
                }
            }
            while next < min(merged.count, concurrency) { try add() }
            while let (start, bytes) = try await group.next() {
                result.parts.append((start, bytes))
                if next < merged.count { try add() }
            }
        }
        result.parts.sort { $0.start < $1.start }
        return result
    }

    /// One range, exactly.
    public func fetchOne(_ key: String, _ range: ByteRange) async throws -> [UInt8] {
        try budget.reserveFetch(Int(range.count))
        return try await bucket.getRange(key, offset: range.start, length: range.count).collect()
    }
}
