import StrataCore
import StrataTSDB

extension Downsample {
    /// Samples of an XOR sub-chunk, keeping only those not older than the previous one
    /// (Thanos's `expandChunkIterator`) and dropping stale markers.
    static func expand(_ part: [UInt8], into ts: inout [Int64], _ vs: inout [Double]) {
        var lastT: Int64 = 0
        part.withUnsafeBytes { buf in
            var it = XORIterator(buf)
            while it.next() {
                let v = it.v
                if isStaleNaN(v) { continue }
                if it.t >= lastT {
                    ts.append(it.t)
                    vs.append(v)
                }
                lastT = it.t
            }
        }
    }

    /// AggrChunks of one series at a finer resolution → AggrChunks at `resolution` (5m → 1h).
    /// Groups whole input chunks so the true first and last raw counter values survive.
    public static func aggregates(_ chunks: [(AggrChunk, ChunkMeta)], inResolution: Int64, resolution: Int64) -> [EncodedChunk] {
        inBatches(chunks, inResolution: inResolution, resolution: resolution) { aggregateBatch($0, resolution) }
    }

    /// Whole input chunks in batches sized so each output chunk holds about 140 samples.
    static func inBatches(_ chunks: [(AggrChunk, ChunkMeta)], inResolution: Int64, resolution: Int64,
                          _ batchBody: ([AggrChunk]) throws -> EncodedChunk) rethrows -> [EncodedChunk] {
        guard let first = chunks.first, let last = chunks.last else { return [] }
        let count = chunks.reduce(0) { $0 + $1.0.numSamples }
        let n = targetChunkCount(first.1.minTime, last.1.maxTime, inRes: inResolution, outRes: resolution, count: count)
        let batch = max(1, chunks.count / n)
        var out: [EncodedChunk] = []
        var i = 0
        while i < chunks.count {
            let j = min(i + batch, chunks.count)
            out.append(try batchBody(chunks[i..<j].map(\.0)))
            i = j
        }
        return out
    }

    static func aggregateBatch(_ group: [AggrChunk], _ r: Int64) -> EncodedChunk {
        var apps: [XORAppender?] = [nil, nil, nil, nil, nil]
        var mint = Int64.max, maxt = Int64.min
        // Thanos tracks the range with `if t < mint … else if t > maxt`; kept for identical metas.
        func track(_ t: Int64) {
            if t < mint { mint = t } else if t > maxt { maxt = t }
        }
        var ts: [Int64] = [], vs: [Double] = []
        let plain: [(AggrType, (Aggregator) -> Double)] = [
            (.count, { $0.sum }), (.sum, { $0.sum }), (.min, { $0.min }), (.max, { $0.max }),
        ]
        for (type, pick) in plain {
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            for c in group { if let p = c[type] { expand(p, into: &ts, &vs) } }
            if ts.isEmpty { continue }
            var app = XORAppender()
            _ = windowLoop(ts, vs, r) { t, a in
                track(t)
                app.append(t, pick(a))
            }
            apps[type.rawValue] = app
        }
        // Counter: reset-corrected across the group's counter sub-chunks.
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        var resets = CounterResetApplier()
        var lastKept: Int64 = 0
        for c in group {
            guard let p = c[.counter] else { continue }
            p.withUnsafeBytes { buf in
                var it = XORIterator(buf)
                while it.next() {
                    guard let (t, v) = resets.add(it.t, it.v) else { continue }
                    if isStaleNaN(v) { continue }
                    if t >= lastKept { ts.append(t); vs.append(v) }
                    lastKept = t
                }
            }
        }
        if !ts.isEmpty {
            var app = XORAppender()
            app.append(ts[0], vs[0])
            let lastWindow = windowLoop(ts, vs, r) { t, a in
                track(t)
                app.append(t, a.counter)
            }
            app.append(lastWindow, resets.lastV)
            apps[AggrType.counter.rawValue] = app
        }
        let ag = AggrChunk(parts: apps.map { $0?.bytes })
        return EncodedChunk(encoding: .aggr, data: ag.encoded, minTime: mint, maxTime: maxt, numSamples: ag.numSamples)
    }

    /// §4.2 step 5 without the counter extras: calls `emit` per window, returns the last
    /// window's timestamp.
    static func windowLoop(_ ts: [Int64], _ vs: [Double], _ r: Int64, _ emit: (Int64, Aggregator) -> Void) -> Int64 {
        var a = Aggregator()
        var nextT: Int64 = -1
        let lastT = ts[ts.count - 1]
        for i in 0..<ts.count {
            if isStaleNaN(vs[i]) { continue }
            if ts[i] > nextT {
                if nextT != -1 { emit(nextT, a) }
                a.reset()
                nextT = min(windowEnd(ts[i], r), lastT)
            }
            a.add(vs[i])
        }
        emit(nextT, a)
        return nextT
    }
}
