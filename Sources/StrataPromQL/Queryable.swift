import StrataCore

/// What the engine knows about a selection, so storage can prune and pick resolutions
/// (Prometheus's storage.SelectHints). Times are Unix milliseconds, inclusive.
public struct SelectHints: Sendable, Hashable {
    public var start: Int64
    public var end: Int64
    /// Query or subquery step; 0 for instant queries.
    public var step: Int64
    /// Range of the enclosing range selector; 0 for instant selectors.
    public var range: Int64
    /// The function or aggregation directly around the selector, e.g. "rate" or "sum".
    public var function: String
    /// Grouping labels of the enclosing aggregation and whether they are `by` (true) or
    /// `without` (false).
    public var grouping: [String]
    public var by: Bool
    /// The selection feeds a range function's window loop and nothing else, so a queryable
    /// may return float series undecoded (`StorageSeries.pending`): each is then decoded by
    /// the loop's worker just before its windows and freed right after, instead of every
    /// series' columns being held at once.
    public var decodeLazily: Bool

    public init(start: Int64, end: Int64, step: Int64 = 0, range: Int64 = 0, function: String = "",
                grouping: [String] = [], by: Bool = false, decodeLazily: Bool = false) {
        self.start = start
        self.end = end
        self.step = step
        self.range = range
        self.function = function
        self.grouping = grouping
        self.by = by
        self.decodeLazily = decodeLazily
    }
}

/// First index of `timestamps` (ascending) at or after `t`, by binary search.
@inlinable
public func timeIndex(_ timestamps: [Int64], atOrAfter t: Int64) -> Int {
    var lo = 0, hi = timestamps.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if timestamps[mid] < t { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// The samples of one series as two contiguous arrays in time order. The engine walks them
/// with indices; no per-sample allocation, no existential iterators in the hot loop.
public struct SampleColumns: Sendable {
    public var timestamps: [Int64]
    public var values: [Double]

    public init(timestamps: [Int64] = [], values: [Double] = []) {
        precondition(timestamps.count == values.count, "timestamps and values must have the same length")
        self.timestamps = timestamps
        self.values = values
    }

    public var count: Int { timestamps.count }

    /// Adds a sample, keeping time order; a sample at an existing timestamp replaces it.
    /// Appending in time order is O(1).
    public mutating func insert(_ t: Int64, _ v: Double) {
        if let last = timestamps.last, last >= t {
            let i = firstIndex(atOrAfter: t)
            if i < timestamps.count, timestamps[i] == t {
                values[i] = v
            } else {
                timestamps.insert(t, at: i)
                values.insert(v, at: i)
            }
        } else {
            timestamps.append(t)
            values.append(v)
        }
    }

    /// First index with timestamp >= t (binary search).
    @inlinable
    public func firstIndex(atOrAfter t: Int64) -> Int { timeIndex(timestamps, atOrAfter: t) }
}

/// The native histogram samples of one series, in time order. Kept beside the float
/// columns (a series may switch between floats and histograms over time); stale markers
/// are floats and live in the float columns.
public struct HistogramColumns: Sendable {
    public var timestamps: [Int64]
    public var histograms: [FloatHistogram]

    public init(timestamps: [Int64] = [], histograms: [FloatHistogram] = []) {
        precondition(timestamps.count == histograms.count, "timestamps and histograms must have the same length")
        self.timestamps = timestamps
        self.histograms = histograms
    }

    public var count: Int { timestamps.count }
    public var isEmpty: Bool { timestamps.isEmpty }

    /// Adds a sample, keeping time order; a sample at an existing timestamp replaces it.
    public mutating func insert(_ t: Int64, _ h: FloatHistogram) {
        let i = firstIndex(atOrAfter: t)
        if i < timestamps.count, timestamps[i] == t {
            histograms[i] = h
        } else if i == timestamps.count {
            timestamps.append(t)
            histograms.append(h)
        } else {
            timestamps.insert(t, at: i)
            histograms.insert(h, at: i)
        }
    }

    /// First index with timestamp >= t (binary search).
    public func firstIndex(atOrAfter t: Int64) -> Int { timeIndex(timestamps, atOrAfter: t) }

    /// The samples within [lo, hi] (inclusive).
    public func slice(_ lo: Int64, _ hi: Int64) -> HistogramColumns {
        let a = firstIndex(atOrAfter: lo)
        let b = hi == Int64.max ? count : firstIndex(atOrAfter: hi &+ 1)
        if a >= b { return HistogramColumns() }
        if a == 0 && b == count { return self }
        return HistogramColumns(timestamps: Array(timestamps[a..<b]), histograms: Array(histograms[a..<b]))
    }
}

/// A series as storage yields it: its labels and its samples within the selected range
/// (storage may return more; the engine bounds every read itself).
public struct StorageSeries: Sendable {
    public var labels: Labels
    public var samples: SampleColumns
    /// Native histogram samples; empty for float series.
    public var histograms: HistogramColumns
    /// Float samples not decoded yet (only when the selection asked for `decodeLazily`):
    /// `samples` and `histograms` are then empty and `floatSamples()` decodes.
    public var pending: PendingSamples?

    public init(labels: Labels, samples: SampleColumns, histograms: HistogramColumns = HistogramColumns()) {
        self.labels = labels
        self.samples = samples
        self.histograms = histograms
    }

    /// A float series whose samples are decoded on demand.
    public init(labels: Labels, pending: PendingSamples) {
        self.init(labels: labels, samples: SampleColumns())
        self.pending = pending
    }

    /// The float samples: decoded now when pending (the caller holds them only as long as it
    /// needs them), else the columns.
    public func floatSamples() throws -> SampleColumns {
        guard let pending else { return samples }
        return try pending.decode()
    }

    /// Floats plus histograms weighted by size (see `Series.sampleCount`).
    public var sampleCount: Int { samples.count + histograms.histograms.reduce(0) { $0 + $1.sampleWeight } }
}

/// How to decode one series' float samples later (see `SelectHints.decodeLazily`).
public struct PendingSamples: Sendable {
    public let decode: @Sendable () throws -> SampleColumns

    public init(decode: @escaping @Sendable () throws -> SampleColumns) {
        self.decode = decode
    }
}

/// The seam between the PromQL engine and any storage (in-memory, TSDB blocks, Store API
/// fan-out). Implementations return series sorted by labels, each at most once.
public protocol Queryable: Sendable {
    func select(matchers: [Matcher], hints: SelectHints) async throws -> [StorageSeries]
}

extension SampleColumns: Sequence {
    /// Walks (timestamp, value) pairs in time order without allocating.
    public struct Iterator: IteratorProtocol {
        let columns: SampleColumns
        var index = 0

        public mutating func next() -> (t: Int64, v: Double)? {
            guard index < columns.timestamps.count else { return nil }
            defer { index += 1 }
            return (columns.timestamps[index], columns.values[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(columns: self) }
}
