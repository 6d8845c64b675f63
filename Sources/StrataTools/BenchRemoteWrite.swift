import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StrataRemoteWrite

extension BenchCommand {
    /// `strata bench remote-write`: a load generator that speaks remote write as Prometheus's
    /// own queue does (snappy protobuf POSTs over HTTP/1.1 keep-alive connections, the same
    /// headers) to any receiver — strata-receive, Prometheus's `/api/v1/write`,
    /// VictoriaMetrics — so their ingestion can be compared on identical payloads.
    ///
    /// Every request is pre-encoded (`RemoteWritePlan`) before timing starts. Rounds go in
    /// order — round r+1 starts once every request of round r is answered — because a server
    /// must never see a series' samples out of order; within a round, up to `--concurrency`
    /// requests are in flight, one per connection, like Prometheus's parallel shards.
    public struct RemoteWriteBench: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "remote-write",
            abstract: "Remote-write load generator: samples/s and request latency of a receiver (use a release build).")
        @Option(help: "Receiver URL, e.g. http://127.0.0.1:19291/api/v1/receive or http://127.0.0.1:9090/api/v1/write.") var url: String
        @Option(help: "Active series (each gets one sample per round).") var series = 100_000
        @Option(help: "Labels per series, the metric name included (at least 4).") var labels = 8
        @Option(help: "Rounds (scrapes); timestamps advance 15 s per round.") var rounds = 20
        @Option(help: "Series (= samples) per request: 2000 as Prometheus 3's max_samples_per_send, 500 for 2.42.") var seriesPerRequest = 2000
        @Option(help: "Parallel connections (requests in flight within a round).") var concurrency = 8
        @Option(help: "Remote write protocol: 1 (1.0, prometheus.WriteRequest) or 2 (2.0, io.prometheus.write.v2.Request).") var version = 1
        @Option(name: .customLong("header"), help: "Extra request header K:V (repeatable), e.g. THANOS-TENANT:bench.") var headers: [String] = []
        @Option(help: "Timestamp of round 0 in ms (default: now − rounds × 15 s, so every sample is recent and in the past).") var startMs: Int64?
        @Option(help: "Per-request timeout in seconds.") var timeout = 120
        public init() {}

        public func validate() throws {
            guard version == 1 || version == 2 else { throw ValidationError("--version is 1 or 2") }
            guard labels >= 4 else { throw ValidationError("--labels must be at least 4") }
            guard series > 0, rounds > 0, seriesPerRequest > 0, concurrency > 0 else {
                throw ValidationError("--series, --rounds, --series-per-request and --concurrency must be positive")
            }
            for h in headers where !h.contains(":") { throw ValidationError("--header \(h): expected K:V") }
        }

        public func run() throws {
            let v: RemoteWriteVersion = version == 1 ? .v1 : .v2
            let start = startMs ?? (Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000 - Int64(rounds) * RemoteWritePlan.scrapeInterval)
            let t0 = BenchCommand.now()
            let plan = RemoteWritePlan(series: series, labels: labels, rounds: rounds, seriesPerRequest: seriesPerRequest,
                                       version: v, start: start)
            print(String(format: "prepared %d requests (%d rounds × %d series, %d labels, %d series/request, remote write %d.0) in %.1f s: %.1f KiB compressed, %.1f KiB protobuf per request",
                         plan.requestCount, rounds, series, labels, seriesPerRequest, version, BenchCommand.now() - t0, Double(plan.compressedBytes) / Double(plan.requestCount) / 1024,
                         Double(plan.uncompressedBytes) / Double(plan.requestCount) / 1024))
            var h = HTTPHeaders()
            // Exactly what Prometheus's remote-write client sets.
            h.add(name: "Content-Type", value: v.contentType)
            h.add(name: "Content-Encoding", value: RemoteWriteProtocol.snappyEncoding)
            h.add(name: RemoteWriteProtocol.versionHeader, value: v.versionHeaderValue)
            h.add(name: "User-Agent", value: "strata-bench-remote-write")
            for kv in headers {
                let i = kv.firstIndex(of: ":")!
                h.add(name: String(kv[..<i]).trimmingCharacters(in: .whitespaces),
                      value: String(kv[kv.index(after: i)...]).trimmingCharacters(in: .whitespaces))
            }
            let result = try runBlocking { [url, concurrency, timeout, h] in
                try await RemoteWriteSender(url: url, concurrency: concurrency, headers: h, timeout: timeout).send(plan)
            }
            result.report(samplesPerRound: plan.samplesPerRound, rounds: rounds)
            if result.errorCount > 0 { throw ExitCode(1) }
        }
    }
}

/// Sends a plan's rounds in order over `concurrency` keep-alive connections.
struct RemoteWriteSender: Sendable {
    let url: String
    let concurrency: Int
    let headers: HTTPHeaders
    let timeout: Int

    struct Result: Sendable {
        var latencies: [Double] = []  // seconds, one per request
        var roundSeconds: [Double] = []
        var statuses: [Int: Int] = [:]  // non-2xx answers by status
        var transportErrors: [String: Int] = [:]
        var errorCount: Int { statuses.values.reduce(0, +) + transportErrors.values.reduce(0, +) }
    }

    func send(_ plan: RemoteWritePlan) async throws -> Result {
        var config = HTTPClient.Configuration()
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        config.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        var result = Result()
        do {
            for round in plan.rounds {
                let r0 = BenchCommand.now()
                try await withThrowingTaskGroup(of: (Double, Int, String?).self) { group in
                    var next = 0
                    func add() {
                        let body = round[next]
                        next += 1
                        group.addTask { await post(client, body) }
                    }
                    while next < min(concurrency, round.count) { add() }
                    while let (latency, status, error) = try await group.next() {
                        result.latencies.append(latency)
                        if let error { result.transportErrors[error, default: 0] += 1 }
                        else if !(200..<300).contains(status) { result.statuses[status, default: 0] += 1 }
                        if next < round.count { add() }
                    }
                }
                result.roundSeconds.append(BenchCommand.now() - r0)
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// One POST: latency from handing the request to the client until the whole answer is read.
    private func post(_ client: HTTPClient, _ body: ByteBuffer) async -> (Double, Int, String?) {
        var req = HTTPClientRequest(url: url)
        req.method = .POST
        req.headers = headers
        req.body = .bytes(body)
        let t0 = BenchCommand.now()
        do {
            let resp = try await client.execute(req, timeout: .seconds(Int64(timeout)))
            _ = try await resp.body.collect(upTo: 1 << 20)
            return (BenchCommand.now() - t0, Int(resp.status.code), nil)
        } catch {
            return (BenchCommand.now() - t0, 0, "\(error)")
        }
    }
}

extension RemoteWriteSender.Result {
    /// Human lines, then one `result:` line of key=value pairs for scripts.
    func report(samplesPerRound: Int, rounds: Int) {
        let wall = roundSeconds.reduce(0, +)
        let total = samplesPerRound * rounds
        let sorted = latencies.sorted()
        func q(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] * 1000
        }
        let steady = roundSeconds.dropFirst().reduce(0, +)
        print(String(format: "samples: %d in %.2f s: %.0f samples/s", total, wall, Double(total) / wall))
        print(String(format: "first round (series created): %.0f samples/s", Double(samplesPerRound) / roundSeconds[0])
              + (rounds > 1 ? String(format: "; later rounds: %.0f samples/s", Double(samplesPerRound * (rounds - 1)) / steady) : ""))
        print(String(format: "request latency ms: p50 %.2f, p90 %.2f, p99 %.2f, max %.2f (%d requests)", q(0.5), q(0.9), q(0.99), q(1), sorted.count))
        let errs = statuses.sorted { $0.key < $1.key }.map { "HTTP \($0.key): \($0.value)" }
            + transportErrors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        print("errors (non-2xx): \(errs.isEmpty ? "none" : errs.joined(separator: ", "))")
        print(String(format: "result: samples=%d seconds=%.3f samples_per_s=%.0f steady_samples_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d",
                     total, wall, Double(total) / wall, rounds > 1 ? Double(samplesPerRound * (rounds - 1)) / steady : 0,
                     q(0.5), q(0.9), q(0.99), q(1), errorCount))
    }
}
