import StrataCore

extension Head {
    /// Writes the ranges the head has moved past as blocks in `dir`, drops them from memory
    /// and truncates the WAL (Prometheus `DB.compactHead` + `Head.Truncate`).
    ///
    /// A range `[k·d, (k+1)·d)` (d = `blockDuration`) holding the head's oldest sample is cut
    /// once the head spans more than 1.5·d: the appendable window then lies past the range,
    /// so no sample can still arrive for it. `force` cuts everything regardless (before a
    /// shutdown that should leave no head behind): the last block then ends right after the
    /// newest sample, and only samples up to that are refused afterwards. The block's
    /// `minTime` is the oldest sample's time, its `maxTime` the range end, level 1, its own ULID as source; `configure` adds what the
    /// caller knows (the Thanos section with external labels).
    ///
    /// Appends go on while a block is written: the range is frozen first (nothing older than
    /// its end is accepted from then on), its chunks are copied under the lock, written
    /// without it, and dropped from the head after the block is in place.
    @discardableResult
    public func cutBlocks(force: Bool = false, configure: (inout BlockMeta) -> Void = { _ in }) throws -> [BlockMeta] {
        try cutLock.withLock { try cutDueRanges(force: force, configure: configure) }
    }

    private func cutDueRanges(force: Bool, configure: (inout BlockMeta) -> Void) throws -> [BlockMeta] {
        var out: [BlockMeta] = []
        while let range = try nextRange(force: force) {
            if !range.series.isEmpty {
                let w = try BlockWriter(parentDir: dir, minTime: range.minTime, maxTime: range.maxTime)
                for s in range.series { try w.add(s.labels, chunks: s.chunks) }
                let meta = try w.commit { m in
                    m.compaction.level = 1
                    m.compaction.sources = [w.ulid]
                    configure(&m)
                }
                metrics.blocksWritten.increment()
                out.append(meta)
            }
            try truncate(before: range.maxTime)
        }
        return out
    }

    private struct CutRange {
        var minTime: Int64
        var maxTime: Int64
        var series: [(labels: Labels, chunks: [EncodedChunk])]
    }

    /// The next range to cut with its chunks, frozen; nil when none is due.
    private func nextRange(force: Bool) throws -> CutRange? {
        try lock.withLock {
            guard wal != nil else { throw HeadError.closed }
            guard minTime <= maxTime else { return nil }
            let d = options.blockDuration
            guard force || maxTime - minTime > d / 2 * 3 else { return nil }
            // A forced cut ends at the newest sample (Prometheus's `Flush`, Thanos's receiver
            // on shutdown and start), not at the range end: samples newer than what was cut
            // stay appendable, so a restarted receiver or ruler accepts the current range.
            let maxt = force ? min(Head.rangeEnd(minTime, d), maxTime &+ 1) : Head.rangeEnd(minTime, d)
            minValidTime = max(minValidTime, maxt)
            var r = CutRange(minTime: minTime, maxTime: maxt, series: [])
            for s in byRef.values {
                if s.chunkEnd <= maxt || s.maxTime < maxt { s.closeOpenChunk() }
                let n = s.chunks.prefix { $0.maxTime < maxt }.count
                if n > 0 { r.series.append((s.labels, Array(s.chunks[..<n]))) }
            }
            return r
        }
    }

    /// Drops what lies before `t` (now in a block) from memory, removes series left empty,
    /// and truncates the WAL.
    func truncate(before t: Int64) throws {
        try lock.withLock {
            guard let wal else { throw HeadError.closed }
            minValidTime = max(minValidTime, t)
            for s in Array(byRef.values) {
                _ = s.truncate(before: t)
                if s.isEmpty { remove(s, lastSegment: wal.segment) }
            }
            recomputeMinTime()
            metrics.series.record(byRef.count)
            metrics.truncations.increment()
            try truncateWAL(before: t, wal)
        }
    }

    /// Prometheus's `Head.truncateWAL`: starts a new segment, then checkpoints the older two
    /// thirds of the segments before it (they hold mostly samples already in blocks, so the
    /// checkpoint stays small) keeping series still in the head and samples at or after `t`,
    /// deletes those segments and older checkpoints. With fewer than four segments nothing is
    /// checkpointed yet. Runs under the lock.
    private func truncateWAL(before t: Int64, _ wal: WALWriter) throws {
        guard t > lastTruncation else { return }
        lastTruncation = t
        let segs = try WALFormat.segments(in: walDir)
        guard let first = segs.first, var last = segs.last else { return }
        try wal.nextSegment()
        last -= 1  // never the segment appends went to until now
        guard last >= 0 else { return }
        last = first + (last - first) * 2 / 3
        guard last > first else { return }
        do {
            try WALCheckpoint.create(walDir: walDir, from: first, to: last, minTime: t) { ref in
                byRef[ref] != nil || deleted[ref] != nil
            }
        } catch {
            metrics.checkpointFailures.increment()
            throw error
        }
        metrics.checkpoints.increment()
        try wal.removeSegments(before: last + 1)
        deleted = deleted.filter { $0.value >= first }
        try WALCheckpoint.removeCheckpoints(in: walDir, before: last)
    }
}
