import StrataCore

/// What the head does with one sample: the order of the checks is Prometheus's
/// (`headAppender.Append`, `memSeries.appendable`): the appendable window first, then the
/// series' newest sample.
enum SampleVerdict {
    case accept
    /// An exact repeat of the newest sample: dropped, not an error.
    case duplicate
    case reject(SampleRejection)

    static func of(_ s: MemSeries, _ t: Int64, minValid: Int64, sameValue: () -> Bool) -> SampleVerdict {
        if t < minValid { return .reject(.tooOld) }
        let last = max(s.maxTime, s.pendingMaxTime)
        if last == .min || t > last { return .accept }
        if t < last { return .reject(.outOfOrder) }
        return sameValue() ? .duplicate : .reject(.duplicateTimestamp)
    }
}

extension Head {
    /// The commit of an appender's batch, under the head's lock: check every sample against
    /// its series and the batch before it; log new series and the accepted samples as one
    /// WAL batch (series, samples, histograms, float histograms — the order in which a
    /// replay applies them); fsync per policy; then apply. Replaying the WAL therefore
    /// rebuilds exactly what was acknowledged.
    func commit(_ a: HeadAppender) throws -> AppendResult {
        let (result, logged) = try logAndApply(a)
        // Group commit: the fsync runs outside the head's lock, so other batches are checked,
        // logged and applied meanwhile and one fsync covers them all. The batch is visible
        // before it is durable (as in Prometheus, which never fsyncs a batch), but the caller
        // hears of success only once it is durable.
        if let (wal, seq) = logged, options.walSync == .everyBatch {
            do {
                try wal.sync(upTo: seq)
            } catch {
                lock.withLock { walBroken = walBroken ?? "\(error)" }
                metrics.walWriteFailures.increment()
                throw error
            }
        }
        return result
    }

    /// Checks, logs and applies the batch under the lock; the WAL and the batch's sequence
    /// number when something was logged.
    private func logAndApply(_ a: HeadAppender) throws -> (AppendResult, (WALWriter, UInt64)?) {
        try lock.withLock {
            guard let wal else { throw HeadError.closed }
            if let walBroken { throw TSDBError.invalidArgument("the WAL of \(dir) failed (\(walBroken)); reopen the head") }
            scratch.reset()
            defer {
                for s in scratch.touched { s.resetPending() }
                scratch.reset()
            }
            var result = AppendResult()
            var rejectedFloats: [SampleRejection: Int] = [:], rejectedHistograms: [SampleRejection: Int] = [:]
            let minValid = appendableMinValidTime
            var lateStale: [HeadAppender.PendingHistogram] = []

            func live(_ s: MemSeries) -> MemSeries {
                let live = s.dropped ? series(for: s.labels) : s
                if !live.inBatch { live.inBatch = true; scratch.touched.append(live) }
                return live
            }

            for p in a.floats {
                let s = live(p.series)
                let kind = s.pendingKind != .none ? s.pendingKind : s.kind
                if isStaleNaN(p.v) && (kind == .histogram || kind == .floatHistogram) {
                    // A stale marker on a histogram series is a histogram stale marker.
                    var h = Histogram()
                    h.sum = p.v
                    let value: HeadAppender.HistogramValue = kind == .histogram ? .int(h) : .float(h.toFloat())
                    lateStale.append(HeadAppender.PendingHistogram(series: s, t: p.t, value: value))
                    continue
                }
                let bits = p.v.bitPattern
                switch SampleVerdict.of(s, p.t, minValid: minValid, sameValue: {
                    s.pendingMaxTime == p.t ? (s.pendingKind == .float && s.pendingFloatBits == bits)
                        : (s.kind == .float && s.lastFloatBits == bits)
                }) {
                case .accept:
                    scratch.floats.append(WALSample(ref: s.ref, t: p.t, v: p.v))
                    scratch.floatSeries.append(s)
                    s.pendingMaxTime = p.t
                    s.pendingKind = .float
                    s.pendingFloatBits = bits
                case .duplicate:
                    result.duplicates += 1
                case .reject(let r):
                    rejectedFloats[r, default: 0] += 1
                }
            }

            for p in a.histograms + lateStale {
                let s = live(p.series)
                let isInt: Bool
                if case .int = p.value { isInt = true } else { isInt = false }
                switch SampleVerdict.of(s, p.t, minValid: minValid, sameValue: {
                    if s.pendingMaxTime == p.t {
                        guard s.pendingHistogramIndex >= 0 else { return false }
                        let prev: HeadAppender.HistogramValue = s.pendingKind == .histogram
                            ? .int(scratch.ints[Int(s.pendingHistogramIndex)].h) : .float(scratch.floatHists[Int(s.pendingHistogramIndex)].h)
                        return prev == p.value
                    }
                    switch p.value {
                    case .int(let h): return s.kind == .histogram && s.histograms?.lastInt == h
                    case .float(let h): return s.kind == .floatHistogram && s.histograms?.lastFloat == h
                    }
                }) {
                case .accept:
                    switch p.value {
                    case .int(let h):
                        s.pendingHistogramIndex = Int32(scratch.ints.count)
                        scratch.ints.append(WALHistogramSample(ref: s.ref, t: p.t, h: h))
                        scratch.intSeries.append(s)
                    case .float(let h):
                        s.pendingHistogramIndex = Int32(scratch.floatHists.count)
                        scratch.floatHists.append(WALFloatHistogramSample(ref: s.ref, t: p.t, h: h))
                        scratch.floatHistSeries.append(s)
                    }
                    s.pendingMaxTime = p.t
                    s.pendingKind = isInt ? .histogram : .floatHistogram
                case .duplicate:
                    result.duplicates += 1
                case .reject(let r):
                    rejectedHistograms[r, default: 0] += 1
                }
            }

            // New series are logged before their first samples.
            for s in scratch.touched where !s.logged && s.pendingMaxTime != .min {
                s.logged = true
                scratch.newSeries.append(WALSeries(ref: s.ref, labels: s.labels))
                scratch.newSeriesObjects.append(s)
            }
            var records: [[UInt8]] = []
            if !scratch.newSeries.isEmpty {
                var w = ByteWriter()
                WALEncoder.series(scratch.newSeries, into: &w)
                records.append(w.bytes)
            }
            if !scratch.floats.isEmpty {
                var w = ByteWriter()
                WALEncoder.samples(scratch.floats, into: &w)
                records.append(w.bytes)
            }
            if !scratch.ints.isEmpty {
                var w = ByteWriter()
                WALEncoder.histogramSamples(scratch.ints, into: &w)
                records.append(w.bytes)
            }
            if !scratch.floatHists.isEmpty {
                var w = ByteWriter()
                WALEncoder.floatHistogramSamples(scratch.floatHists, into: &w)
                records.append(w.bytes)
            }
            var logged: (WALWriter, UInt64)?
            if !records.isEmpty {
                do {
                    logged = (wal, try wal.log(records))
                } catch {
                    for s in scratch.newSeriesObjects { s.logged = false }
                    metrics.walWriteFailures.increment()
                    throw error
                }
            }

            // Apply. Checked samples only: appends cannot fail here.
            var lo = Int64.max, hi = Int64.min
            for (i, s) in scratch.floatSeries.enumerated() {
                let x = scratch.floats[i]
                s.appendFloat(x.t, x.v, blockDuration: options.blockDuration, samplesPerChunk: options.samplesPerChunk)
                lo = min(lo, x.t)
                hi = max(hi, x.t)
            }
            for (i, s) in scratch.intSeries.enumerated() {
                let x = scratch.ints[i]
                try s.appendHistogram(x.t, x.h, blockDuration: options.blockDuration, samplesPerChunk: options.samplesPerChunk)
                lo = min(lo, x.t)
                hi = max(hi, x.t)
            }
            for (i, s) in scratch.floatHistSeries.enumerated() {
                let x = scratch.floatHists[i]
                try s.appendFloatHistogram(x.t, x.h, blockDuration: options.blockDuration, samplesPerChunk: options.samplesPerChunk)
                lo = min(lo, x.t)
                hi = max(hi, x.t)
            }
            minTime = min(minTime, lo)
            maxTime = max(maxTime, hi)

            let nh = scratch.ints.count + scratch.floatHists.count
            result.appended = scratch.floats.count + nh
            metrics.appendedFloats.increment(by: scratch.floats.count)
            metrics.appendedHistograms.increment(by: nh)
            for (r, n) in rejectedFloats {
                result.rejected[r, default: 0] += n
                metrics.rejected[r]!.float.increment(by: n)
            }
            for (r, n) in rejectedHistograms {
                result.rejected[r, default: 0] += n
                metrics.rejected[r]!.histogram.increment(by: n)
            }
            return (result, logged)
        }
    }
}
