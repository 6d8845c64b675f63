import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1 (bound and released; a tiny race is accepted in tests).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw MissingComponent(description: "socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp -> Bool in
            bind(fd, sp, len) == 0 && getsockname(fd, sp, &len) == 0
        }
    }
    guard ok else { throw MissingComponent(description: "bind() failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A real Prometheus 2.42 serving copies of given blocks, as a Thanos-style sidecar expects
/// it (equal min/max block durations, long retention, external labels). Stopped by `stop`.
public final class PrometheusServer: @unchecked Sendable {
    public let url: String
    public let port: Int
    public let dataDir: String
    let process: Process

    /// nil when prometheus is missing outside CI; under CI a missing binary throws.
    /// `scrapeSelf`: Prometheus also scrapes its own /metrics every second (job `self`), so
    /// the head holds live samples next to the blocks.
    /// `scrapeTargets`: more targets scraped every second (job name → host:port);
    /// `features`: `--enable-feature` values (e.g. "native-histograms"); `webConfig`: a
    /// `--web.config.file` (basic auth, TLS) — Prometheus then answers 401 to the readiness
    /// probe, which counts as up. `ruleFiles`: `rule_files` (recording and alerting rules,
    /// evaluated every `evaluationInterval`, 1 s by default when there are rule files; without
    /// any, Prometheus's default 1m stays — it is also the default step of subqueries, which
    /// the differential tests compare); `scrapeConfigs`: more `scrape_configs` entries as
    /// YAML flow mappings (relabelling, several targets per job); `port`: the listen port, when
    /// the test must know it before the start (replicas scraping each other), else a free one.
    /// `copyingDataDir`: the data dir starts as a copy of this one (blocks and `wal/`, which
    /// Prometheus replays into its head); `adminAPI`: `--web.enable-admin-api` (for `snapshot()`);
    /// `remoteWrite`: `remote_write` entries as YAML flow mappings.
    public static func start(blocks: [String], externalLabels: [String: String], blockDuration: String = "2h",
                             scrapeSelf: Bool = false, scrapeTargets: [String: String] = [:],
                             features: [String] = [], webConfig: String? = nil, ruleFiles: [String] = [],
                             evaluationInterval: String? = nil, scrapeConfigs: [String] = [],
                             port: Int? = nil, copyingDataDir: String? = nil, adminAPI: Bool = false,
                             remoteWrite: [String] = []) throws -> PrometheusServer? {
        guard let bin = try TestEnv.require("prometheus", hint: "apt-get install prometheus") else { return nil }
        let root = TestEnv.tempDir("prom")
        let data = root + "/data"
        if let src = copyingDataDir {
            try FileManager.default.copyItem(atPath: src, toPath: data)
        } else {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        }
        for b in blocks {
            try FileManager.default.copyItem(atPath: b, toPath: data + "/" + URL(fileURLWithPath: b).lastPathComponent)
        }
        let labels = externalLabels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ")
        let port = try port ?? freePort()
        let evaluation = (evaluationInterval ?? (ruleFiles.isEmpty ? nil : "1s")).map { "evaluation_interval: \($0), " } ?? ""
        var config = "global: {scrape_interval: 15s, \(evaluation)external_labels: {\(labels)}}\n"
        if !ruleFiles.isEmpty { config += "rule_files: [\(ruleFiles.map { "'\($0)'" }.joined(separator: ", "))]\n" }
        var jobs = scrapeTargets.sorted { $0.key < $1.key }
        if scrapeSelf { jobs.insert(("self", "127.0.0.1:\(port)"), at: 0) }
        if !jobs.isEmpty || !scrapeConfigs.isEmpty {
            let list = jobs.map { "{job_name: \($0.key), scrape_interval: 1s, static_configs: [{targets: ['\($0.value)']}]}" } + scrapeConfigs
            config += "scrape_configs: [\(list.joined(separator: ", "))]\n"
        }
        if !remoteWrite.isEmpty { config += "remote_write: [\(remoteWrite.joined(separator: ", "))]\n" }
        try config.write(toFile: root + "/prom.yml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["--config.file=\(root)/prom.yml", "--storage.tsdb.path=\(data)", "--web.listen-address=127.0.0.1:\(port)",
                       "--storage.tsdb.retention.time=100y", "--storage.tsdb.min-block-duration=\(blockDuration)",
                       "--storage.tsdb.max-block-duration=\(blockDuration)", "--log.level=warn"]
            + features.map { "--enable-feature=\($0)" } + (webConfig.map { ["--web.config.file=\($0)"] } ?? [])
            + (adminAPI ? ["--web.enable-admin-api"] : [])
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let server = PrometheusServer(url: "http://127.0.0.1:\(port)", port: port, dataDir: data, process: p)
        // Ready in well under a second here; allow 30 s on a loaded machine.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let status = httpStatus(port: port, path: "/-/ready")
            if status == 200 || (webConfig != nil && status == 401) { return server }
            usleep(100_000)
        }
        server.stop()
        throw MissingComponent(description: "prometheus did not become ready within 30 s")
    }

    init(url: String, port: Int, dataDir: String, process: Process) {
        self.url = url
        self.port = port
        self.dataDir = dataDir
        self.process = process
    }

    /// `POST /api/v1/admin/tsdb/snapshot` (needs `adminAPI`): the directory of the snapshot,
    /// which holds every block and the head, written as one more block.
    public func snapshot() throws -> String {
        let answer = httpRequest(port: port, method: "POST", path: "/api/v1/admin/tsdb/snapshot", timeoutSeconds: 60) ?? "no answer"
        guard answer.hasPrefix("HTTP/1.0 200") || answer.hasPrefix("HTTP/1.1 200"), let nameStart = answer.range(of: #""name":""#) else {
            throw MissingComponent(description: "prometheus snapshot failed: \(answer.prefix(500))")
        }
        let rest = answer[nameStart.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { throw MissingComponent(description: "prometheus snapshot: no name in answer") }
        return dataDir + "/snapshots/" + rest[..<end]
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// The whole answer (status line, headers, body) to a plain `GET path` on 127.0.0.1:port over
/// a raw socket (HTTP/1.0, read to EOF, no client library), or nil when nothing answers.
public func httpGet(port: Int, path: String, timeoutSeconds: Int = 5) -> String? {
    httpRequest(port: port, method: "GET", path: path, timeoutSeconds: timeoutSeconds)
}

/// `httpGet` with another method and an empty body.
public func httpRequest(port: Int, method: String, path: String, timeoutSeconds: Int = 5) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { return nil }
    let length = method == "GET" ? "" : "Content-Length: 0\r\n"
    let req = Array("\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\(length)\r\n".utf8)
    guard send(fd, req, req.count, 0) == req.count else { return nil }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
}

/// The HTTP status of a plain `GET path` to 127.0.0.1:port, or nil when nothing answers.
/// For readiness polls in tests.
public func httpStatus(port: Int, path: String) -> Int? {
    guard let answer = httpGet(port: port, path: path, timeoutSeconds: 2) else { return nil }
    let parts = answer.prefix(64).split(separator: " ")
    return parts.count >= 2 ? Int(parts[1]) : nil
}

/// The HTTP status of `GET path` on 127.0.0.1:port without blocking a thread of the
/// cooperative pool (tests that wait for in-process servers must not starve them).
public func httpStatusAsync(port: Int, path: String) async -> Int? {
    guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { return nil }
    var req = URLRequest(url: url)
    req.timeoutInterval = 5
    guard let (_, resp) = try? await URLSession.shared.data(for: req) else { return nil }
    return (resp as? HTTPURLResponse)?.statusCode
}
