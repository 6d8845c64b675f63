import StrataCore

/// What a head's `open` read from its WAL.
public struct ReplayStats: Sendable, Equatable {
    /// The checkpoint read first, if any.
    public var checkpoint: Int?
    /// Segments read after it, in order.
    public var segments: [Int] = []
    public var records = 0
    public var series = 0
    /// Samples (floats and histograms) now in the head.
    public var samples = 0
    /// Samples older than the newest block in the data dir (already in a block).
    public var tooOld = 0
    /// Samples not after their series' newest one (a WAL written by a head that refused
    /// them never holds any; a foreign WAL may).
    public var outOfOrder = 0
    /// Histogram samples the chunks refused (spans and buckets disagree).
    public var invalid = 0
    /// Samples of a series ref no series record named.
    public var unknownRefs = 0
    /// Deletions (tombstone records) from a Prometheus WAL: the head keeps no tombstones.
    public var tombstonesIgnored = 0
    /// Records of types the head does not keep: exemplars, metadata, Prometheus 3's
    /// custom-bucket and start-timestamp sample records.
    public var recordsSkipped = 0
    /// The damage a torn or corrupt tail had, cut off by the repair; nil when the WAL was
    /// intact.
    public var repaired: String?
}

extension Head {
    /// Rebuilds the head from `walDir`: the last checkpoint, then every segment after it.
    /// A corrupt checkpoint is an error (its series cannot be recovered from elsewhere); a
    /// segment that cannot be read to its end is repaired (`WALRepair`): the records before
    /// the damage stay applied, the rest of the WAL is cut off, as Prometheus does.
    func replayWAL() throws {
        guard isDirectory(walDir) else { return }
        var alias: [UInt64: UInt64] = [:]
        var buffers = ReplayBuffers()
        let checkpoint = try WALCheckpoint.last(in: walDir)
        if let cp = checkpoint {
            for seg in try WALFormat.segments(in: cp.path) {
                var r = try WALSegmentReader(path: WALFormat.segmentPath(cp.path, seg), segment: seg)
                do {
                    while try r.next() { try apply(r.record, &alias, &buffers) }
                } catch let c as WALCorruption {
                    throw TSDBError.corrupt(path: c.path, offset: c.offset, "WAL checkpoint is corrupt (\(c.reason)); the head cannot be replayed")
                } catch {
                    throw TSDBError.corrupt(path: r.path, offset: r.recordOffset, "WAL checkpoint record does not decode: \(error)")
                }
            }
            replay.checkpoint = cp.index
        }
        let segments = try WALFormat.segments(in: walDir).filter { $0 > (checkpoint?.index ?? -1) }
        for seg in segments {
            var r = try WALSegmentReader(path: WALFormat.segmentPath(walDir, seg), segment: seg)
            var damage: WALCorruption?
            do {
                while try r.next() {
                    do {
                        try apply(r.record, &alias, &buffers)
                    } catch {
                        throw WALCorruption(path: r.path, segment: seg, offset: r.recordOffset, reason: "record does not decode: \(error)")
                    }
                }
            } catch let c as WALCorruption {
                damage = c
            }
            replay.segments.append(seg)
            if let damage {
                metrics.walCorruptions.increment()
                try WALRepair.repair(walDir: walDir, damage)
                replay.repaired = damage.description
                break
            }
        }
        // Series left without samples (all in blocks) are not kept.
        let last = segments.last ?? 0
        for s in byRef.values where s.isEmpty { remove(s, lastSegment: last) }
        metrics.series.record(byRef.count)
    }

    private func apply(_ rec: [UInt8], _ alias: inout [UInt64: UInt64], _ b: inout ReplayBuffers) throws {
        replay.records += 1
        switch WALRecordType.of(rec) {
        case .series?:
            b.series.removeAll(keepingCapacity: true)
            try WALDecoder.series(rec, into: &b.series)
            for w in b.series {
                replay.series += 1
                lastRef = max(lastRef, w.ref)
                if let existing = byLabels[w.labels] {
                    if existing.ref != w.ref { alias[w.ref] = existing.ref }
                    continue
                }
                var ref = w.ref
                if byRef[ref] != nil {
                    // The ref is taken by other labels (a foreign WAL): give the series a new one.
                    lastRef += 1
                    ref = lastRef
                    alias[w.ref] = ref
                }
                let s = MemSeries(ref: ref, labels: w.labels)
                s.logged = true
                byLabels[w.labels] = s
                byRef[ref] = s
                metrics.seriesCreated.increment()
            }
        case .samples?:
            b.samples.removeAll(keepingCapacity: true)
            try WALDecoder.samples(rec, into: &b.samples)
            for x in b.samples {
                guard let s = replayTarget(x.ref, x.t, alias) else { continue }
                s.appendFloat(x.t, x.v, blockDuration: options.blockDuration, samplesPerChunk: options.samplesPerChunk)
                replayed(x.t)
            }
        case .histogramSamples?:
            b.histograms.removeAll(keepingCapacity: true)
            try WALDecoder.histogramSamples(rec, into: &b.histograms)
            for x in b.histograms {
                guard let s = replayTarget(x.ref, x.t, alias) else { continue }
                do {
                    try s.appendHistogram(x.t, x.h, blockDuration: options.blockDuration, samplesPerChunk: options.samplesPerChunk)
                    replayed(x.t)
                } catch {
                    replay.invalid += 1
                }
            }
        case .floatHistogramSamples?:
            b.floatHistograms.removeAll(keepingCapacity: true)
            try WALDecoder.floatHistogramSamples(rec, into: &b.floatHistograms)
            for x in b.floatHistograms {
                guard let s = replayTarget(x.ref, x.t, alias) else { continue }
                do {
                    try s.appendFloatHistogram(x.t, x.h, blockDuration: options.blockDuration, samplesPerChunk: options.samplesPerChunk)
                    replayed(x.t)
                } catch {
                    replay.invalid += 1
                }
            }
        case .tombstones?:
            b.tombstones.removeAll(keepingCapacity: true)
            try WALDecoder.tombstones(rec, into: &b.tombstones)
            replay.tombstonesIgnored += b.tombstones.count
        default:
            replay.recordsSkipped += 1
        }
    }

    /// The series a replayed sample goes to, or nil (counted) when it cannot be applied.
    private func replayTarget(_ walRef: UInt64, _ t: Int64, _ alias: [UInt64: UInt64]) -> MemSeries? {
        guard let s = byRef[alias[walRef] ?? walRef] else { replay.unknownRefs += 1; return nil }
        if t < minValidTime { replay.tooOld += 1; return nil }
        if s.maxTime != .min && t <= s.maxTime { replay.outOfOrder += 1; return nil }
        return s
    }

    private func replayed(_ t: Int64) {
        replay.samples += 1
        minTime = min(minTime, t)
        maxTime = max(maxTime, t)
    }
}

struct ReplayBuffers {
    var series: [WALSeries] = []
    var samples: [WALSample] = []
    var histograms: [WALHistogramSample] = []
    var floatHistograms: [WALFloatHistogramSample] = []
    var tombstones: [WALTombstone] = []
}
