#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prometheus's WAL checkpoint (`wlog.Checkpoint`): before segments are deleted, what a
/// replay still needs from them — the series records of series still in the head and the
/// samples at or after the truncation time — is rewritten into `checkpoint.N` (N = the last
/// segment it covers), itself a WAL directory. A replay reads the last checkpoint, then the
/// segments after N. Prometheus (and so `promtool tsdb dump`) needs the checkpoint: it
/// replays from segment 0 unless one exists, and fails on a missing segment.
///
/// Records dropped on the way: samples before `minTime`, series `keep` refuses,
/// tombstones ending before `minTime`; exemplar and metadata records, which the Strata head
/// does not keep, are not carried over (Prometheus keeps them).
public enum WALCheckpoint {
    public struct Stats: Sendable, Equatable {
        public var series = 0, droppedSeries = 0
        public var samples = 0, droppedSamples = 0
        public var tombstones = 0, droppedTombstones = 0
        public var otherRecordsDropped = 0
    }

    /// The newest checkpoint in a WAL directory.
    public static func last(in walDir: String) throws -> (index: Int, path: String)? {
        try WALFormat.checkpoints(in: walDir).last
    }

    /// Writes `checkpoint.<to>` from the previous checkpoint and segments `from...to`,
    /// atomically (a temp dir renamed into place). A record that cannot be read is an error:
    /// a checkpoint that silently lost series would make later samples unreadable.
    @discardableResult
    public static func create(walDir: String, from: Int, to: Int, minTime: Int64,
                              keep: (UInt64) -> Bool) throws -> Stats {
        var inputs: [(path: String, segment: Int)] = []
        var first = from
        if let prev = try last(in: walDir) {
            guard from <= prev.index + 1 else {
                throw TSDBError.invalidArgument("WAL checkpoint: segments \(prev.index + 1)..<\(from) are neither in \(prev.path) nor requested")
            }
            first = prev.index + 1
            for s in try WALFormat.segments(in: prev.path) { inputs.append((WALFormat.segmentPath(prev.path, s), s)) }
        }
        if first <= to {
            for s in first...to { inputs.append((WALFormat.segmentPath(walDir, s), s)) }
        }
        let final = WALFormat.checkpointPath(walDir, to)
        let tmp = final + ".tmp"
        try removeTree(tmp)
        try makeDirectory(tmp)
        var stats = Stats()
        do {
            let out = try WALWriter(dir: tmp)
            var batch: [[UInt8]] = []
            var batchBytes = 0
            var series: [WALSeries] = [], samples: [WALSample] = [], stones: [WALTombstone] = []
            var hs: [WALHistogramSample] = [], fhs: [WALFloatHistogramSample] = []
            for input in inputs {
                var r = try WALSegmentReader(path: input.path, segment: input.segment)
                while try r.next() {
                    let rec = r.record
                    var w = ByteWriter()
                    do {
                        switch WALRecordType.of(rec) {
                        case .series?:
                            series.removeAll(keepingCapacity: true)
                            try WALDecoder.series(rec, into: &series)
                            let kept = series.filter { keep($0.ref) }
                            stats.series += series.count
                            stats.droppedSeries += series.count - kept.count
                            if !kept.isEmpty { WALEncoder.series(kept, into: &w) }
                        case .samples?:
                            samples.removeAll(keepingCapacity: true)
                            try WALDecoder.samples(rec, into: &samples)
                            let kept = samples.filter { $0.t >= minTime }
                            stats.samples += samples.count
                            stats.droppedSamples += samples.count - kept.count
                            if !kept.isEmpty { WALEncoder.samples(kept, into: &w) }
                        case .histogramSamples?:
                            hs.removeAll(keepingCapacity: true)
                            try WALDecoder.histogramSamples(rec, into: &hs)
                            let kept = hs.filter { $0.t >= minTime }
                            stats.samples += hs.count
                            stats.droppedSamples += hs.count - kept.count
                            if !kept.isEmpty { WALEncoder.histogramSamples(kept, into: &w) }
                        case .floatHistogramSamples?:
                            fhs.removeAll(keepingCapacity: true)
                            try WALDecoder.floatHistogramSamples(rec, into: &fhs)
                            let kept = fhs.filter { $0.t >= minTime }
                            stats.samples += fhs.count
                            stats.droppedSamples += fhs.count - kept.count
                            if !kept.isEmpty { WALEncoder.floatHistogramSamples(kept, into: &w) }
                        case .tombstones?:
                            stones.removeAll(keepingCapacity: true)
                            try WALDecoder.tombstones(rec, into: &stones)
                            let kept = stones.filter { $0.maxTime >= minTime && keep($0.ref) }
                            stats.tombstones += stones.count
                            stats.droppedTombstones += stones.count - kept.count
                            if !kept.isEmpty { WALEncoder.tombstones(kept, into: &w) }
                        default:
                            stats.otherRecordsDropped += 1
                        }
                    } catch {
                        throw TSDBError.corrupt(path: input.path, offset: r.recordOffset, "WAL record does not decode: \(error)")
                    }
                    if w.count > 0 {
                        batchBytes += w.count
                        batch.append(w.bytes)
                    }
                    if batchBytes > 1 << 20 {
                        try out.log(batch)
                        batch.removeAll(keepingCapacity: true)
                        batchBytes = 0
                    }
                }
            }
            if !batch.isEmpty { try out.log(batch) }
            try out.close()
            syncDirectory(tmp)
            try removeTree(final)
            guard rename(tmp, final) == 0 else { throw TSDBError.io(path: final, errno: errno) }
            syncDirectory(walDir)
        } catch let c as WALCorruption {
            try? removeTree(tmp)
            throw TSDBError.corrupt(path: c.path, offset: c.offset, "cannot checkpoint the WAL: \(c.reason)")
        } catch {
            try? removeTree(tmp)
            throw error
        }
        return stats
    }

    /// Removes checkpoints numbered below `index` (superseded by a newer one).
    public static func removeCheckpoints(in walDir: String, before index: Int) throws {
        for c in try WALFormat.checkpoints(in: walDir) where c.index < index { try removeTree(c.path) }
    }
}
