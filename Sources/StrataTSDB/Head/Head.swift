import Metrics
import StrataCore

/// The in-memory head of a TSDB data dir with its write-ahead log, in Prometheus's formats:
/// `dir/wal/` holds WAL segments and checkpoints exactly as Prometheus writes them, and
/// `dir/<ULID>/` the blocks the head is cut into, so `promtool tsdb dump dir` (and a real
/// Prometheus started on a copy of `dir`) reads everything the head holds.
///
/// - Appending: an `appender()` collects a batch; `commit` checks it against the series
///   (out-of-order, too-old and conflicting samples are refused and counted by reason),
///   writes series and sample records to the WAL, fsyncs per `HeadOptions.walSync`, then
///   applies the samples and returns. What `commit` acknowledges is in the WAL.
/// - `open` replays the last checkpoint and the segments after it, repairing a torn tail.
/// - `cutBlocks` writes the ranges the head has left behind as blocks through
///   `BlockWriter`, drops them from memory and truncates the WAL with a checkpoint.
///
/// Thread-safe: one lock guards the series and the WAL; a commit holds it from checking to
/// applying (including the fsync), so batches are applied in WAL order.
public final class Head: @unchecked Sendable {
    public let dir: String
    public let options: HeadOptions
    public var walDir: String { dir + "/wal" }
    let metrics: HeadMetrics
    let lock = HeadLock()
    /// Serialises `cutBlocks` calls: a range is chosen under `lock` but written without it,
    /// and two cuts must not both write it.
    let cutLock = HeadLock()

    // Guarded by `lock`.
    var byLabels = SeriesLabelTable()
    var byRef = SeriesRefTable()
    var lastRef: UInt64 = 0
    /// Time range of the samples held; `minTime > maxTime` when empty. `maxTime` is kept
    /// when the head empties, since it anchors the appendable window.
    var minTime = Int64.max
    var maxTime = Int64.min
    /// Nothing older is accepted: the end of the last block written.
    var minValidTime = Int64.min
    var wal: WALWriter?
    /// Series removed from the head → the last WAL segment when they were removed; their
    /// series records stay in checkpoints while older segments may still name them.
    var deleted: [UInt64: Int] = [:]
    var lastTruncation = Int64.min
    /// A failed fsync leaves the page cache in an unknown state; the head then refuses
    /// commits until it is reopened (and replayed).
    var walBroken: String?
    /// What `open` found in the WAL.
    public internal(set) var replay = ReplayStats()

    // Commit scratch, reused between batches (under `lock`).
    var scratch = CommitScratch()

    init(dir: String, options: HeadOptions, factory: MetricsFactory) {
        self.dir = dir
        self.options = options
        metrics = HeadMetrics(factory: factory)
    }

    /// Opens the head of `dir` (created with its parents when missing): replays `dir/wal` (repairing a torn
    /// tail), then starts a new WAL segment for appends. Samples older than the newest block
    /// in `dir` are not replayed, as in Prometheus.
    public static func open(dir: String, options: HeadOptions = HeadOptions(),
                            metricsFactory: MetricsFactory = MetricsSystem.factory) throws -> Head {
        guard options.blockDuration > 0 else { throw TSDBError.invalidArgument("block duration must be positive") }
        try makeDirectories(dir)
        let h = Head(dir: dir, options: options, factory: metricsFactory)
        try h.lock.withLock {
            h.minValidTime = try Head.newestBlockEnd(in: dir)
            try h.replayWAL()
            h.wal = try WALWriter(dir: h.walDir, segmentSize: options.walSegmentSize, compress: options.walCompression)
        }
        return h
    }

    /// Pads and fsyncs the WAL. Appends fail afterwards; the head is not cut into a block
    /// (the next `open` replays it).
    public func close() throws {
        try lock.withLock {
            guard let w = wal else { return }
            wal = nil
            try w.close()
        }
    }

    public func appender() -> HeadAppender { HeadAppender(head: self) }

    /// The exclusive end of the block range holding `t`: blocks of duration `d` cover
    /// `[k·d, (k+1)·d)` (Prometheus `rangeForTimestamp`).
    static func rangeEnd(_ t: Int64, _ d: Int64) -> Int64 {
        let q = t >= 0 ? t / d : -((-(t + 1)) / d) - 1
        guard q < Int64.max / d - 1 else { return .max }
        return (q + 1) * d
    }

    /// The end of the newest block in `dir` (`Int64.min` without blocks).
    static func newestBlockEnd(in dir: String) throws -> Int64 {
        var end = Int64.min
        for name in try listDirectory(dir) where (try? ULID(parsing: name)) != nil {
            let p = dir + "/" + name
            guard fileExists(p + "/meta.json") else { continue }
            end = max(end, try BlockMeta.read(dir: p).maxTime)
        }
        return end
    }

    /// Samples older than this are refused: the end of the last block, and no more than half
    /// a block duration behind the newest sample (Prometheus `appendableMinValidTime`), so a
    /// range is final once the head has moved 1.5 block durations past its start.
    var appendableMinValidTime: Int64 {
        guard maxTime != .min else { return minValidTime }
        return max(minValidTime, maxTime &- options.blockDuration / 2)
    }

    // MARK: series

    /// The series with `labels`, created (without a WAL record yet) when new.
    func series(for labels: Labels) -> MemSeries {
        let (s, created) = byLabels.series(for: labels) {
            lastRef += 1
            return MemSeries(ref: lastRef, labels: labels)
        }
        guard created else { return s }
        byRef[s.ref] = s
        metrics.seriesCreated.increment()
        metrics.series.record(byLabels.count)
        return s
    }

    func lockedSeries(for labels: Labels) -> MemSeries { lock.withLock { series(for: labels) } }

    func lockedSeries(ref: UInt64) throws -> MemSeries {
        try lock.withLock {
            guard let s = byRef[ref] else { throw HeadError.unknownSeriesRef(ref) }
            return s
        }
    }

    /// The ref of the series with these labels, if the head has it (to append by ref).
    public func ref(for labels: Labels) -> UInt64? {
        lock.withLock { byLabels[labels]?.ref }
    }

    func remove(_ s: MemSeries, lastSegment: Int) {
        byLabels[s.labels] = nil
        byRef[s.ref] = nil
        s.dropped = true
        deleted[s.ref] = lastSegment
        metrics.seriesRemoved.increment()
    }

    /// Recomputes `minTime` from the series (after samples were dropped).
    func recomputeMinTime() {
        var m = Int64.max
        for s in byRef.values { if let t = s.minTime, t < m { m = t } }
        minTime = m
    }

    // MARK: reading

    public struct Stats: Sendable, Equatable {
        public var series = 0
        public var chunks = 0
        public var samples = 0
        /// `nil` when the head holds no sample.
        public var minTime: Int64?
        public var maxTime: Int64?
        public var minValidTime: Int64
    }

    /// Series in the head, without walking them (a tenant's active-series limit checks it
    /// on every request).
    public var seriesCount: Int { lock.withLock { byRef.count } }

    public var stats: Stats {
        lock.withLock {
            var st = Stats(series: byRef.count, minValidTime: minValidTime)
            for s in byRef.values {
                for c in s.allChunks() { st.chunks += 1; st.samples += c.numSamples }
            }
            if minTime <= maxTime { st.minTime = minTime; st.maxTime = maxTime }
            return st
        }
    }

    /// Every series with samples and its chunks (the open one encoded as it stands), in
    /// label order. Holds the head's lock while `body` runs.
    public func forEachSeries(_ body: (Labels, [EncodedChunk]) throws -> Void) rethrows {
        try lock.withLock {
            for s in byRef.values.sorted(by: { $0.labels < $1.labels }) {
                let chunks = s.allChunks()
                if !chunks.isEmpty { try body(s.labels, chunks) }
            }
        }
    }
}

extension Head {
    /// The series whose labels match every matcher, with their chunks overlapping
    /// `[minTime, maxTime]` (the open one encoded as it stands), in label order. The chunks are
    /// copied under the head's lock, so the caller reads them while appends go on.
    public func series(matching matchers: [Matcher], minTime: Int64 = .min,
                       maxTime: Int64 = .max) -> [(labels: Labels, chunks: [EncodedChunk])] {
        var out: [(labels: Labels, chunks: [EncodedChunk])] = []
        lock.withLock {
            for s in byRef.values where matchers.allSatisfy({ $0.matches(s.labels[$0.name]) }) {
                let chunks = s.allChunks().filter { $0.maxTime >= minTime && $0.minTime <= maxTime }
                if !chunks.isEmpty { out.append((s.labels, chunks)) }
            }
        }
        out.sort { $0.labels < $1.labels }
        return out
    }
}

/// Buffers a commit reuses.
struct CommitScratch {
    var floats: [WALSample] = []
    var floatSeries: [MemSeries] = []
    var ints: [WALHistogramSample] = []
    var intSeries: [MemSeries] = []
    var floatHists: [WALFloatHistogramSample] = []
    var floatHistSeries: [MemSeries] = []
    var touched: [MemSeries] = []
    var newSeries: [WALSeries] = []
    var newSeriesObjects: [MemSeries] = []

    mutating func reset() {
        floats.removeAll(keepingCapacity: true)
        floatSeries.removeAll(keepingCapacity: true)
        ints.removeAll(keepingCapacity: true)
        intSeries.removeAll(keepingCapacity: true)
        floatHists.removeAll(keepingCapacity: true)
        floatHistSeries.removeAll(keepingCapacity: true)
        touched.removeAll(keepingCapacity: true)
        newSeries.removeAll(keepingCapacity: true)
        newSeriesObjects.removeAll(keepingCapacity: true)
    }
}
