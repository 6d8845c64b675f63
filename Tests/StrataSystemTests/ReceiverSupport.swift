import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport

/// A `strata-receive` process for the system tests: its ports, its data dir, and a process
/// that receives SIGTERM (a graceful stop flushes the heads), can be killed with -9 and
/// started again on the same ports and directory.
final class ReceiverProcess: @unchecked Sendable {
    let name: String
    let grpcPort: Int
    let httpPort: Int
    let writePort: Int
    let dir: String
    let args: [String]
    private(set) var process: SignalableProcess?
    private(set) var logs: [String] = []

    var grpc: String { "127.0.0.1:\(grpcPort)" }
    var writeURL: String { "http://127.0.0.1:\(writePort)/api/v1/receive" }

    init(name: String, grpcPort: Int? = nil, extra: [String]) throws {
        self.name = name
        self.grpcPort = try grpcPort ?? freePort()
        httpPort = try freePort()
        writePort = try freePort()
        dir = TestEnv.tempDir("receive-\(name)")
        args = ["--tsdb.path", dir, "--grpc-address", "127.0.0.1:\(self.grpcPort)", "--http-address", "127.0.0.1:\(httpPort)",
                "--remote-write.address", "127.0.0.1:\(writePort)"] + extra
    }

    /// Starts the process and waits until it is ready (WAL replayed and flushed).
    func start() async throws {
        let log = TestEnv.tempDir("receive-log") + "/\(name).log"
        logs.append(log)
        process = try SignalableProcess(TestEnv.binary("strata-receive"), args, stdout: log + ".out", stderr: log)
        let ready = await waitForAsync(60) { await httpStatusAsync(port: self.httpPort, path: "/-/ready") == 200 }
        if !ready { throw MissingComponent(description: "strata-receive \(name) not ready in 60 s:\n\(logText())") }
    }

    /// SIGTERM and wait for the exit (the heads are flushed into blocks and shipped first).
    func stop() {
        guard let p = process else { return }
        p.signal(SIGTERM)
        _ = waitFor(60) { !p.isRunning }
        p.kill9()
        process = nil
    }

    func kill9() {
        process?.kill9()
        process = nil
    }

    func logText() -> String {
        logs.map { "--- \(name) \($0)\n" + ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "") }.joined(separator: "\n")
    }

    /// One counter or gauge from /metrics, summed over the series whose labels contain `matching`.
    func metric(_ name: String, matching: String = "") -> Double {
        guard let text = httpGet(port: httpPort, path: "/metrics") else { return -1 }
        var sum = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let head = line.prefix { $0 != " " }
            guard head == name || head.hasPrefix(name + "{"), matching.isEmpty || head.contains(matching) else { continue }
            sum += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return sum
    }
}

/// The `data` of a Prometheus-API answer (Prometheus's own or strata-query's).
func apiData(_ url: String) async throws -> JSONValue {
    let (d, _) = try await URLSession.shared.data(from: URL(string: url)!)
    let v = try JSONValue(parsing: Array(d))
    guard v["status"]?.stringValue == "success", let data = v["data"] else {
        throw MissingComponent(description: "\(url): \(String(decoding: d.prefix(300), as: UTF8.self))")
    }
    return data
}

/// A query answer's series as `labels → values`, without the labels named in `dropping`
/// (the external labels a querier adds), for comparing two servers' answers.
func seriesByLabels(_ data: JSONValue, dropping: Set<String> = []) -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    for s in data["result"]?.arrayValue ?? [] {
        let labels = (s["metric"]?.objectValue ?? []).filter { !dropping.contains($0.key) }
            .map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
        out[labels] = s["values"] ?? s["histograms"] ?? s["value"] ?? s["histogram"]
    }
    return out
}
