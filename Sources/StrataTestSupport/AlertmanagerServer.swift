import Foundation
import StrataCore

/// A real Alertmanager 0.25 (`prometheus-alertmanager`, Debian's name for the binary) on a
/// free 127.0.0.1 port for one test: gossip off (`--cluster.listen-address=`), a scratch
/// storage dir, one receiver that sends nowhere. Stopped by PID (`stop`, or at deinit).
public final class AlertmanagerServer: Sendable {
    public let port: Int
    public let dir: String
    /// `--web.route-prefix`, "" for none.
    public let routePrefix: String
    private let process: SignalableProcess

    /// `http://127.0.0.1:port` followed by the route prefix: what `--alertmanagers.url` takes.
    public var url: String { "http://127.0.0.1:\(port)\(routePrefix)" }
    public var log: String { (try? String(contentsOfFile: dir + "/stderr", encoding: .utf8)) ?? "" }

    private init(port: Int, dir: String, routePrefix: String, process: SignalableProcess) {
        self.port = port
        self.dir = dir
        self.routePrefix = routePrefix
        self.process = process
    }

    /// nil when the binary is missing outside CI (under `CI=true` a `MissingComponent`).
    public static func start(routePrefix: String = "") async throws -> AlertmanagerServer? {
        guard let exe = try TestEnv.require("prometheus-alertmanager", hint: "apt-get install -y prometheus-alertmanager") else { return nil }
        let dir = TestEnv.tempDir("alertmanager")
        let port = try freePort()
        // A quoted receiver name: a bare `null` would be YAML null.
        try "route: {receiver: \"x\"}\nreceivers: [{name: \"x\"}]\n".write(toFile: dir + "/am.yml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        var args = ["--config.file=\(dir)/am.yml", "--storage.path=\(dir)/data", "--web.listen-address=127.0.0.1:\(port)",
                    "--cluster.listen-address=", "--log.level=warn"]
        if !routePrefix.isEmpty { args.append("--web.route-prefix=\(routePrefix)") }
        let p = try SignalableProcess(exe, args, stderr: dir + "/stderr")
        let s = AlertmanagerServer(port: port, dir: dir, routePrefix: routePrefix, process: p)
        let deadline = Date().addingTimeInterval(20)
        while httpStatus(port: port, path: routePrefix + "/-/ready") != 200 {
            if !p.isRunning || Date() > deadline {
                let log = s.log
                s.stop()
                throw MissingComponent(description: "alertmanager did not become ready on 127.0.0.1:\(port) within 20 s: \(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return s
    }

    /// `GET /api/v2/alerts` (with `query`, e.g. `active=true`): the alerts as Alertmanager
    /// lists them (`labels`, `annotations`, `startsAt`, `endsAt`, `status.state`, …).
    public func alerts(query: String = "") throws -> [JSONValue] {
        let path = routePrefix + "/api/v2/alerts" + (query.isEmpty ? "" : "?" + query)
        guard let answer = httpGet(port: port, path: path) else {
            throw MissingComponent(description: "alertmanager on \(port) did not answer \(path)")
        }
        guard answer.hasPrefix("HTTP/1.0 200") || answer.hasPrefix("HTTP/1.1 200"),
              let split = answer.range(of: "\r\n\r\n") else {
            throw MissingComponent(description: "alertmanager \(path): \(answer.prefix(300))")
        }
        return try JSONValue(parsing: String(answer[split.upperBound...])).arrayValue ?? []
    }

    public var pid: Int32 { process.pid }

    /// SIGKILL (the storage dir is scratch); returns once it has exited.
    public func stop() { process.kill9() }
}
