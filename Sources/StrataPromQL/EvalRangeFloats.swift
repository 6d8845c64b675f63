import Dispatch
import Foundation
import StrataCore

/// The window loop of range-vector functions over float series. Each series' output depends
/// on that series alone, so when there is enough work the series are split over the cores
/// (contiguous slices, joined back in input order) — the answer is the one the sequential
/// loop gives, bit for bit. Histogram series go through `mixedRangeSeries` instead.
extension Evaluator {
    /// What the loop needs, fixed for one call.
    struct FloatWindowJob: @unchecked Sendable {
        let fn: RangeFunctions.Fn
        /// The call's arguments at each step (the range argument's slot unused).
        let scalarsByStep: [[Double]]
        let range: Int64
        let offset: Int64
        let fixedWindow: Bool
        let shift: Int64
        let checkQuantile: Bool
    }

    /// One series' output points and the out-of-range quantiles its windows met (3.x warns).
    typealias FloatWindowResult = Result<(points: [Point], badQuantiles: [Double]), Error>

    /// Below this many (series × steps) one core does it: splitting costs more than it saves.
    static let parallelWindowThreshold = 50_000

    func scalarsByStep(_ scalarArgs: [[Series]], matrixIndex mi: Int, count: Int) -> [[Double]] {
        (0..<numSteps).map { step in
            (0..<count).map { j in
                j == mi ? .nan : scalarArgs[j].first.map { step < $0.points.count ? $0.points[step].v : .nan } ?? .nan
            }
        }
    }

    /// Results for every float series of `input` (histogram series get an empty result).
    func floatWindows(_ input: [StorageSeries], _ job: FloatWindowJob) throws -> [FloatWindowResult] {
        let empty: FloatWindowResult = .success(([], []))
        var results = [FloatWindowResult](repeating: empty, count: input.count)
        let workers = ProcessInfo.processInfo.activeProcessorCount
        let grid = StepGrid(start: start, end: end, interval: interval)
        guard shared.columnar, workers > 1, input.count >= 2 * workers, input.count * numSteps >= Self.parallelWindowThreshold else {
            var window: [Point] = []
            for (i, s) in input.enumerated() where s.histograms.isEmpty {
                try shared.checkDeadline("expression evaluation")
                results[i] = Result { try Self.floatWindowPoints(s, job, grid, &window) }
            }
            return results
        }
        let slices = min(input.count, workers * 4)
        let deadline = shared.deadline
        results.withUnsafeMutableBufferPointer { buffer in
            // Each slice writes its own disjoint range of the buffer.
            let out = UncheckedSendable(buffer)
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                var window: [Point] = []
                for i in (slice * input.count / slices)..<((slice + 1) * input.count / slices) where input[i].histograms.isEmpty {
                    if ContinuousClock.now > deadline {
                        out.value[i] = .failure(QueryError.timeout("expression evaluation"))
                        return
                    }
                    out.value[i] = Result { try Self.floatWindowPoints(input[i], job, grid, &window) }
                }
            }
        }
        try shared.checkDeadline("expression evaluation")
        return results
    }

    /// The evaluator's steps.
    struct StepGrid: Sendable {
        let start: Int64
        let end: Int64
        let interval: Int64
    }

    /// Slides the window over one float series; touches no evaluator state, so it may run on
    /// any thread.
    static func floatWindowPoints(_ s: StorageSeries, _ job: FloatWindowJob, _ grid: StepGrid,
                                  _ window: inout [Point]) throws -> (points: [Point], badQuantiles: [Double]) {
        let (start, end, interval) = (grid.start, grid.end, grid.interval)
        var pts: [Point] = []
        var bad: [Double] = []
        var ts = start
        var step = 0
        // Windows only move forward: the first sample of each is found from the last one's
        // instead of by a search, and the columns are read without copies.
        var lo = s.samples.firstIndex(atOrAfter: start - job.offset - job.range)
        try s.samples.timestamps.withUnsafeBufferPointer { tb in
            try s.samples.values.withUnsafeBufferPointer { vb in
                while ts <= end {
                    let maxt = (job.fixedWindow ? start : ts) - job.offset, mint = maxt - job.range + job.shift
                    while lo < tb.count && tb[lo] < mint { lo += 1 }
                    window.removeAll(keepingCapacity: true)
                    var k = lo
                    while k < tb.count, tb[k] <= maxt {
                        if !isStaleNaN(vb[k]) { window.append(Point(t: tb[k], v: vb[k])) }
                        k += 1
                    }
                    if !window.isEmpty {
                        let scalars = job.scalarsByStep[step]
                        if job.checkQuantile, let q = scalars.first, q.isNaN || q < 0 || q > 1,
                           !bad.contains(where: { $0 == q || ($0.isNaN && q.isNaN) }) {
                            bad.append(q)
                        }
                        if let v = try job.fn(window, scalars, RangeWindow(ts: ts, range: job.range, offset: job.offset)) {
                            pts.append(Point(t: ts, v: v))
                        }
                    }
                    ts += interval
                    step += 1
                }
            }
        }
        return (pts, bad)
    }
}

/// A value handed to parallel workers that the compiler cannot prove safe to share: here a
/// buffer whose slices each worker writes alone.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
