import StrataCore

/// The kind of a series' last sample: a change of kind closes the open chunk, as in a
/// Prometheus head.
enum SampleKind: UInt8 {
    case none, float, histogram, floatHistogram
}

/// The open histogram chunk of a series with the last sample appended (Prometheus keeps it
/// as `lastHistogramValue` to accept an exact duplicate and refuse a different value at the
/// same timestamp). A class, so the series' inline size stays small for float series and
/// the sequence is extended in place.
final class OpenHistogramChunks {
    var ints: HistogramChunkSequence?
    var floats: FloatHistogramChunkSequence?
    var lastInt: Histogram?
    var lastFloat: FloatHistogram?
    init() {}
}

/// One series of the head: its labels, closed chunks and the chunk samples are appended to.
/// Chunks never straddle a multiple of the block duration (`chunkEnd`), so cutting a block
/// takes whole chunks, as Prometheus's head cuts chunks at its chunk range.
///
/// Only the head touches a series, under its lock. The `pending*` fields describe the
/// samples of the batch being committed that are not yet applied, so a batch is checked
/// against itself as well as against what the series already holds.
final class MemSeries {
    // Eight-byte fields first, then the open chunk, then the small ones: the object stays
    // in a 192-byte allocation (memory per active series is a goal of the head).
    let ref: UInt64
    let labels: Labels
    /// Closed chunks in time order.
    var chunks: [EncodedChunk] = []
    /// The open histogram chunk, for series holding histograms.
    var histograms: OpenHistogramChunks?
    /// The exclusive end of the block range the open chunk lies in.
    var chunkEnd: Int64 = .min
    var maxTime: Int64 = .min
    /// Bits of the last float sample (duplicate detection).
    var lastFloatBits: UInt64 = 0
    var pendingMaxTime: Int64 = .min
    var pendingFloatBits: UInt64 = 0
    /// The open float chunk.
    var xor: XORAppender?
    /// Index of the series' last pending histogram sample in the batch.
    var pendingHistogramIndex: Int32 = -1
    var kind = SampleKind.none
    var pendingKind = SampleKind.none
    /// The series record is in the WAL (written with its first batch, or replayed).
    var logged = false
    /// Removed from the head (all its samples went into blocks); an appender holding it
    /// looks the labels up again.
    var dropped = false
    var inBatch = false

    init(ref: UInt64, labels: Labels) {
        self.ref = ref
        self.labels = labels
    }

    var isEmpty: Bool { chunks.isEmpty && xor == nil && histograms == nil }

    /// Time of the first sample still held.
    var minTime: Int64? {
        if let c = chunks.first { return c.minTime }
        if let x = xor { return x.minTime }
        if let h = histograms {
            if let s = h.ints { return s.chunks.first?.minTime ?? s.open?.minTime }
            if let s = h.floats { return s.chunks.first?.minTime ?? s.open?.minTime }
        }
        return nil
    }

    // MARK: appending (samples already checked: t > maxTime)

    func appendFloat(_ t: Int64, _ v: Double, blockDuration: Int64, samplesPerChunk: Int) {
        if kind != .float || t >= chunkEnd || (xor?.count ?? 0) >= samplesPerChunk { cut(t, blockDuration) }
        if xor == nil { xor = XORAppender() }
        xor!.append(t, v)
        kind = .float
        maxTime = t
        lastFloatBits = v.bitPattern
    }

    /// Appends an integer histogram. Throws when its spans and buckets disagree, which the
    /// head checks before a sample reaches the WAL (`HeadSample.validate`).
    func appendHistogram(_ t: Int64, _ h: Histogram, blockDuration: Int64, samplesPerChunk: Int) throws {
        if kind != .histogram || t >= chunkEnd { cut(t, blockDuration) }
        let state = histograms ?? OpenHistogramChunks()
        if state.ints == nil { state.ints = HistogramChunkSequence(samplesPerChunk: samplesPerChunk) }
        try state.ints!.append(t, h)
        histograms = state
        state.lastInt = h
        state.lastFloat = nil
        kind = .histogram
        maxTime = t
    }

    func appendFloatHistogram(_ t: Int64, _ h: FloatHistogram, blockDuration: Int64, samplesPerChunk: Int) throws {
        if kind != .floatHistogram || t >= chunkEnd { cut(t, blockDuration) }
        let state = histograms ?? OpenHistogramChunks()
        if state.floats == nil { state.floats = FloatHistogramChunkSequence(samplesPerChunk: samplesPerChunk) }
        try state.floats!.append(t, h)
        histograms = state
        state.lastFloat = h
        state.lastInt = nil
        kind = .floatHistogram
        maxTime = t
    }

    /// Closes the open chunk and starts the block range of `t`.
    private func cut(_ t: Int64, _ blockDuration: Int64) {
        closeOpenChunk()
        chunkEnd = Head.rangeEnd(t, blockDuration)
    }

    /// Moves the open chunk (if any) to the closed chunks.
    func closeOpenChunk() {
        if let x = xor {
            xor = nil
            chunks.append(EncodedChunk(encoding: .xor, data: x.bytes, minTime: x.minTime, maxTime: x.maxTime, numSamples: x.count))
        }
        if let h = histograms {
            histograms = nil
            if var s = h.ints { chunks += s.finish() }
            if var s = h.floats { chunks += s.finish() }
        }
    }

    /// Every chunk, the open one encoded as it stands (for readers; the series is unchanged).
    func allChunks() -> [EncodedChunk] {
        var out = chunks
        if let x = xor {
            out.append(EncodedChunk(encoding: .xor, data: x.bytes, minTime: x.minTime, maxTime: x.maxTime, numSamples: x.count))
        }
        if let h = histograms {
            if var s = h.ints { out += s.finish() }
            if var s = h.floats { out += s.finish() }
        }
        return out
    }

    /// Drops the chunks that end before `t` (they are in a block); closes the open chunk
    /// first when it lies wholly before `t` (its range ends there, or — after a forced cut
    /// ending at the head's newest sample — its samples all do). Chunks never straddle `t`.
    func truncate(before t: Int64) -> Int {
        if chunkEnd <= t || maxTime < t { closeOpenChunk() }
        let n = chunks.count
        chunks.removeAll { $0.maxTime < t }
        return n - chunks.count
    }

    func resetPending() {
        pendingMaxTime = .min
        pendingKind = .none
        pendingHistogramIndex = -1
        inBatch = false
    }
}
