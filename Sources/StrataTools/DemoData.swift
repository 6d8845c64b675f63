import StrataCore
import StrataTSDB

/// Generates realistic Kubernetes-like metrics straight into 2h blocks (`strata block gen`).
///
/// The model: `series` slots are grouped into pods of 20 series each (counters with resets
/// at pod restarts, gauges, a classic histogram with `le` buckets, `_sum` and `_count`).
/// Every pod restarts after a seeded lifetime of 6h–3d and comes back under a new name, so
/// series come and go as they do in a real cluster. With `nativeHistograms` each pod also
/// exposes the same latency observations as a native histogram (`DemoNativeHistogram`).
/// Everything derives from `seed`: the same arguments give the same samples.
public struct DemoDataGenerator {
    public var series: Int
    public var startMs: Int64
    public var endMs: Int64
    public var intervalMs: Int64
    public var seed: UInt64
    public var externalLabels: [String: String]
    /// One native histogram series per pod beside the classic one (not counted in `series`).
    public var nativeHistograms = false

    static let blockMs: Int64 = 2 * 3_600_000
    static let perPod = 20
    static let buckets: [String] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
    /// Share of observations per disjoint bucket and a representative latency for `_sum`.
    static let bucketShare: [Double] = [0.05, 0.1, 0.2, 0.25, 0.2, 0.1, 0.05, 0.03, 0.015, 0.005]
    static let bucketMid: [Double] = [0.003, 0.008, 0.018, 0.04, 0.075, 0.17, 0.37, 0.75, 1.7, 4]
    static let deployments = ["api", "checkout", "cart", "search", "auth", "payments", "frontend", "catalog", "shipping", "email"]
    static let namespaces = ["prod", "staging", "platform"]

    public init(series: Int, startMs: Int64, endMs: Int64, intervalMs: Int64, seed: UInt64, externalLabels: [String: String]) {
        self.series = series
        self.startMs = startMs
        self.endMs = endMs
        self.intervalMs = intervalMs
        self.seed = seed
        self.externalLabels = externalLabels
    }

    /// Per-pod evolving state, carried from block to block.
    struct PodState {
        var rng: GenRNG
        var generation: Int64 = -1
        var lifetimeMs: Int64
        var phaseMs: Int64
        var requests: [Double] = [0, 0, 0, 0]
        var cpu: Double = 0
        var memory: Double
        var goroutines: Double
        var buckets = [Double](repeating: 0, count: 10)
        var sum: Double = 0
        var ready: Double = 1
        var native = DemoNativeHistogram()
    }

    /// Writes the blocks under `outDir`; `progress(done, total)` after each block.
    public func run(outDir: String, progress: (Int, Int) -> Void) throws -> [BlockMeta] {
        guard series > 0, intervalMs > 0, startMs < endMs else {
            throw TSDBError.invalidArgument("gen needs --series > 0, a positive --interval and a non-empty time range")
        }
        let pods = (series + Self.perPod - 1) / Self.perPod
        var state: [PodState] = (0..<pods).map { p in
            var r = GenRNG(seed: seed &+ UInt64(p) &* 0x9E37_79B9)
            let life = 6 * 3_600_000 + Int64(r.next() % UInt64(66 * 3_600_000))
            return PodState(rng: r, lifetimeMs: life, phaseMs: Int64(r.next() % UInt64(life)),
                            memory: 100e6 + Double(r.next() % 400) * 1e6, goroutines: Double(20 + r.next() % 200))
        }
        let first = startMs - ((startMs % Self.blockMs) + Self.blockMs) % Self.blockMs
        var metas: [BlockMeta] = []
        let total = Int((endMs - first + Self.blockMs - 1) / Self.blockMs)
        var blockStart = first
        var done = 0
        var ts: [Int64] = []
        var cols = [[Double]](repeating: [], count: Self.perPod)
        var hist: [Histogram] = []
        while blockStart < endMs {
            let blockEnd = blockStart + Self.blockMs
            let w = try BlockWriter(parentDir: outDir, ulid: ULID(timestampMs: blockEnd), minTime: blockStart, maxTime: blockEnd)
            for p in 0..<pods {
                let width = min(Self.perPod, series - p * Self.perPod)
                var s = state[p]
                // Samples of one pod generation at a time; a restart flushes and renames.
                var gen: Int64 = -1
                ts.removeAll(keepingCapacity: true)
                for i in 0..<Self.perPod { cols[i].removeAll(keepingCapacity: true) }
                hist.removeAll(keepingCapacity: true)
                let phase = s.phaseMs % intervalMs
                var t = blockStart + ((phase - blockStart % intervalMs) % intervalMs + intervalMs) % intervalMs
                while t < blockEnd {
                    if t >= startMs && t < endMs {
                        let g = (t + s.phaseMs) / s.lifetimeMs
                        if g != gen {
                            if gen >= 0 { try flush(w, p, gen, width, ts, cols, hist) }
                            ts.removeAll(keepingCapacity: true)
                            for i in 0..<Self.perPod { cols[i].removeAll(keepingCapacity: true) }
                            hist.removeAll(keepingCapacity: true)
                            gen = g
                            if g != s.generation { Self.restart(&s, g) }
                        }
                        // Real scrapes land a few ms off the grid; keep inside the block.
                        let jitter = intervalMs >= 1000 && s.rng.next() % 10 == 0 ? Int64(s.rng.next() % 3) : 0
                        ts.append(min(t + jitter, blockEnd - 1))
                        Self.step(&s, t: t, intervalMs: intervalMs, native: nativeHistograms, into: &cols)
                        if nativeHistograms { hist.append(s.native.sample) }
                    }
                    t += intervalMs
                }
                if gen >= 0 && !ts.isEmpty { try flush(w, p, gen, width, ts, cols, hist) }
                state[p] = s
            }
            let labels = externalLabels
            metas.append(try w.commit { m in
                m.thanos = ThanosMeta(labels: labels, source: "test", resolution: 0)
            })
            done += 1
            progress(done, total)
            blockStart = blockEnd
        }
        return metas
    }

    static func restart(_ s: inout PodState, _ g: Int64) {
        s.generation = g
        s.requests = [0, 0, 0, 0]
        s.cpu = 0
        s.buckets = [Double](repeating: 0, count: 10)
        s.sum = 0
        s.native = DemoNativeHistogram()
        s.memory = 80e6 + Double(s.rng.next() % 100) * 1e6
    }

    /// Advances one scrape interval and appends one value per series column.
    static func step(_ s: inout PodState, t: Int64, intervalMs: Int64, native: Bool, into cols: inout [[Double]]) {
        let secs = Double(intervalMs) / 1000
        // A daily cycle makes dashboards look alive.
        let hour = Double((t / 1000) % 86400) / 3600
        let load = 1 + 0.6 * sinApprox((hour - 9) / 24 * 2 * Double.pi)
        let weights = [0.8, 0.1, 0.06, 0.04]
        let rate = 20 * load * (0.5 + Double(s.rng.next() % 100) / 100)
        for i in 0..<4 { s.requests[i] += (rate * weights[i] * secs).rounded(.down) + Double(s.rng.next() % 2) }
        s.cpu += (secs * 0.25 * load * Double(50 + s.rng.next() % 100)).rounded() / 100
        // Memory moves in 4 KiB pages and not on every scrape, like a real working set.
        if s.rng.next() % 3 == 0 { s.memory = max(50e6, s.memory + 4096 * Double(Int64(s.rng.next() % 513) - 256)) }
        if s.rng.next() % 5 == 0 { s.goroutines = max(5, s.goroutines + Double(Int64(s.rng.next() % 5) - 2)) }
        // Observations land in the disjoint buckets with fixed probabilities plus rounding
        // noise; the cumulative `le` series stay monotonic like a real histogram.
        let obs = rate * secs / 4
        var cumulative = 0.0
        for i in 0..<10 {
            let inc = (obs * bucketShare[i] + Double(s.rng.next() % 1000) / 1000).rounded(.down)
            cumulative += inc
            s.buckets[i] += cumulative
            s.sum += inc * bucketMid[i]
            if native { s.native.observe(classicBucket: i, count: inc, sum: inc * bucketMid[i]) }
        }
        if s.rng.next() % 500 == 0 { s.ready = 1 - s.ready }
        cols[0].append(1)
        cols[1].append(s.cpu)
        cols[2].append(s.memory)
        for i in 0..<4 { cols[3 + i].append(s.requests[i]) }
        for i in 0..<10 { cols[7 + i].append(s.buckets[i]) }
        cols[17].append((s.sum * 1000).rounded() / 1000)
        cols[18].append(s.buckets[9])
        cols[19].append(s.goroutines)
    }

    func flush(_ w: BlockWriter, _ pod: Int, _ gen: Int64, _ width: Int, _ ts: [Int64], _ cols: [[Double]],
               _ hist: [Histogram]) throws {
        let dep = Self.deployments[pod % Self.deployments.count]
        let ns = Self.namespaces[pod % Self.namespaces.count]
        var h = GenRNG(seed: seed ^ UInt64(pod) &* 31 ^ UInt64(bitPattern: gen) &* 0x2545_F491)
        let suffix = String(h.next() % 0xFFFFF, radix: 36)
        let podName = "\(dep)-\(pod / Self.deployments.count)-\(suffix)"
        let base: [String: String] = [
            "job": dep, "namespace": ns, "pod": podName, "container": dep,
            "instance": "10.\(pod / 250 % 250).\(pod % 250).\(gen % 250):8080", "node": "node-\(pod % 37)",
        ]
        let handlers = ["/api/v1/items", "/api/v1/items", "/api/v1/orders", "/healthz"]
        let methodCode = [("GET", "200"), ("POST", "201"), ("GET", "500"), ("GET", "200")]
        for i in 0..<width {
            var l = base
            switch i {
            case 0: l["__name__"] = "up"
            case 1: l["__name__"] = "process_cpu_seconds_total"
            case 2: l["__name__"] = "container_memory_working_set_bytes"
            case 3...6:
                l["__name__"] = "http_requests_total"
                l["handler"] = handlers[i - 3]
                l["method"] = methodCode[i - 3].0
                l["code"] = methodCode[i - 3].1
            case 7...16:
                l["__name__"] = "http_request_duration_seconds_bucket"
                l["le"] = Self.buckets[i - 7]
            case 17: l["__name__"] = "http_request_duration_seconds_sum"
            case 18: l["__name__"] = "http_request_duration_seconds_count"
            default: l["__name__"] = "go_goroutines"
            }
            if i == 6 { l["handler"] = "/healthz"; l["code"] = "200"; l["method"] = "HEAD" }
            try w.add(Labels(l), timestamps: ts, values: cols[i])
        }
        // The native twin, for pods that carry the whole classic histogram.
        if nativeHistograms && width > 18 {
            var l = base
            l["__name__"] = "http_request_duration_seconds"
            try w.add(Labels(l), timestamps: ts, histograms: hist)
        }
    }
}

/// sin without Foundation, accurate enough for a load curve.
func sinApprox(_ x0: Double) -> Double {
    var x = x0.truncatingRemainder(dividingBy: 2 * Double.pi)
    if x > Double.pi { x -= 2 * Double.pi } else if x < -Double.pi { x += 2 * Double.pi }
    let x2 = x * x
    return x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))))
}

/// SplitMix64: small, fast, seedable.
struct GenRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
