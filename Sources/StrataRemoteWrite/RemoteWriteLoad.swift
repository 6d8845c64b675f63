import StrataCore

/// Realistic remote-write requests for benchmarks and load generators: node-exporter-like
/// series (a metric name, `job`, `instance`, then per-metric labels such as `cpu`/`mode`,
/// padded with deployment labels up to the requested count), one sample each, optionally a
/// native histogram per series. Deterministic for a given seed, so runs compare.
public enum RemoteWriteLoad {
    public struct Request: Sendable {
        /// What the request carries, for checking a receiver's result.
        public var batch: WriteBatch
        /// The uncompressed protobuf body.
        public var encoded: [UInt8]
        /// The snappy-compressed body to POST.
        public var body: [UInt8]
        public var version: RemoteWriteVersion
        /// The request's Content-Type header.
        public var contentType: String { version.contentType }
    }

    private static let metrics: [(name: String, labels: [String])] = [
        ("node_cpu_seconds_total", ["cpu", "mode"]),
        ("node_network_receive_bytes_total", ["device"]),
        ("node_network_transmit_bytes_total", ["device"]),
        ("node_filesystem_avail_bytes", ["device", "fstype", "mountpoint"]),
        ("node_disk_io_time_seconds_total", ["device"]),
        ("node_memory_MemAvailable_bytes", []),
        ("node_load1", []),
    ]
    private static let padding = ["cluster", "namespace", "pod", "region", "zone", "team", "env", "service", "node", "az", "rack", "tier"]
    private static let modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]

    /// Builds a request of `series` series with `labels` labels each (at least 4: the name,
    /// `job`, `instance`, `series_id`), all samples at `timestamp`. With `histograms`, every fourth series
    /// carries an integer native histogram instead of a float sample.
    public static func request(series: Int, labels: Int = 8, version: RemoteWriteVersion = .v1,
                               histograms: Bool = false, timestamp: Int64 = 1_700_000_000_000, seed: UInt64 = 1) -> Request {
        var rng = seed | 1
        func next() -> UInt64 {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
            return rng
        }
        var out: [WriteSeries] = []
        out.reserveCapacity(series)
        for i in 0..<series {
            let m = metrics[i % metrics.count]
            let host = i / 64
            var pairs = [Label(metricNameLabel, m.name), Label("job", "node"),
                         Label("instance", "10.\(host >> 16 & 255).\(host >> 8 & 255).\(host & 255):9100")]
            for (k, l) in m.labels.enumerated() where pairs.count < labels - 1 {
                switch l {
                case "cpu": pairs.append(Label(l, String((i / metrics.count) % 64)))
                case "mode": pairs.append(Label(l, modes[(i / metrics.count / 64) % modes.count]))
                case "fstype": pairs.append(Label(l, "ext4"))
                case "mountpoint": pairs.append(Label(l, "/mnt/data\(i % 16)"))
                default: pairs.append(Label(l, "eth\(i % 8 + k)"))
                }
            }
            var p = 0
            while pairs.count < labels - 1 {
                let name = p < padding.count ? padding[p] : "extra_\(p)"
                pairs.append(Label(name, "\(name)-\(i % (7 + p))"))
                p += 1
            }
            // The last label makes every series unique.
            pairs.append(Label("series_id", String(i)))
            var s = WriteSeries(labels: Labels(pairs))
            if histograms && i % 4 == 3 {
                let c = next() % 100
                s.histograms = [WriteHistogram(timestamp, .int(Histogram(
                    schema: 3, zeroThreshold: 1e-128, zeroCount: 1, count: 5 * c + 5, sum: Double(c) * 1.5,
                    positiveSpans: [HistogramSpan(offset: 0, length: 3), HistogramSpan(offset: 2, length: 2)],
                    positiveBuckets: [Int64(c), 1, -1, 2, -1])))]
            } else {
                s.samples = [WriteSample(timestamp, Double(next() % 1_000_000) / 8)]
            }
            out.append(s)
        }
        let batch = WriteBatch(series: out)
        let encoded = version == .v1 ? RemoteWriteV1.encode(batch) : RemoteWriteV2.encode(batch)
        return Request(batch: batch, encoded: encoded, body: RemoteWriteProtocol.compress(encoded), version: version)
    }
}
