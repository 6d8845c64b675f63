import NIOCore
import StrataCore
import StrataRemoteWrite

/// The requests of a remote-write load run, every one encoded and snappy-compressed before
/// the clock starts: the generator then only hands prepared buffers to the HTTP client, so
/// its figures measure the server, not protobuf encoding on the client side.
///
/// Round r is one "scrape" of every series: each series gets one sample at
/// `start + r × 15 s`, so no sample repeats a timestamp and every server appends them all.
/// Series keep their position across rounds, so request k of every round carries the same
/// series (as a Prometheus shard does), and a round is cut into requests of
/// `seriesPerRequest` series.
struct RemoteWritePlan: Sendable {
    /// `rounds[r][k]`: the compressed body of request k of round r.
    var rounds: [[ByteBuffer]]
    var samplesPerRound: Int
    var compressedBytes: Int
    var uncompressedBytes: Int

    static let scrapeInterval: Int64 = 15_000

    init(series: Int, labels: Int, rounds: Int, seriesPerRequest: Int, version: RemoteWriteVersion, start: Int64) {
        // Labels and first values come from the shared realistic builder; only timestamps and
        // values change per round.
        let base = RemoteWriteLoad.request(series: series, labels: labels, version: version, timestamp: start).batch.series
        var out: [[ByteBuffer]] = []
        var compressed = 0, uncompressed = 0
        for r in 0..<rounds {
            let t = start + Int64(r) * Self.scrapeInterval
            var requests: [ByteBuffer] = []
            var lo = 0
            while lo < base.count {
                let hi = min(lo + seriesPerRequest, base.count)
                var batch = WriteBatch(series: Array(base[lo..<hi]))
                for i in batch.series.indices {
                    // Counters grow by a small per-series step each scrape, like real ones.
                    let v0 = batch.series[i].samples.first?.value ?? 0
                    batch.series[i].samples = [WriteSample(t, v0 + Double(r * ((lo + i) % 13 + 1)))]
                }
                let encoded = version == .v1 ? RemoteWriteV1.encode(batch) : RemoteWriteV2.encode(batch)
                let body = RemoteWriteProtocol.compress(encoded)
                uncompressed += encoded.count
                compressed += body.count
                requests.append(ByteBuffer(bytes: body))
                lo = hi
            }
            out.append(requests)
        }
        self.rounds = out
        self.samplesPerRound = series
        self.compressedBytes = compressed
        self.uncompressedBytes = uncompressed
    }

    var requestCount: Int { rounds.reduce(0) { $0 + $1.count } }
}
