import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataPromQL

/// Differential test against the reference oracle: the same OpenMetrics data is turned into a
/// TSDB block with `promtool tsdb create-blocks-from openmetrics`, served by a real
/// `prometheus` (2.42, the Debian package), and every query in DifferentialQueries must give
/// the same API JSON (values compared as strings, so bit-for-bit) from both engines.
/// Skipped when promtool/prometheus are absent, except under CI=true where that fails.
@Suite(.serialized) struct PrometheusDifferentialTests {
    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    @discardableResult
    static func run(_ path: String, _ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }


    @Test func sameResultsAsPrometheus() async throws {
        guard let promtool = Self.which("promtool"), let prometheus = Self.which("prometheus") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("promtool and prometheus are required under CI (apt-get install prometheus)")
            }
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-promql-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let om = PromQLDifferential.openMetrics()
        let omFile = dir.appendingPathComponent("data.om")
        try om.write(to: omFile, atomically: true, encoding: .utf8)
        let tsdb = dir.appendingPathComponent("tsdb").path
        let (rc, out) = try Self.run(promtool, ["tsdb", "create-blocks-from", "openmetrics", omFile.path, tsdb])
        try #require(rc == 0, "promtool failed: \(out)")
        let config = dir.appendingPathComponent("prometheus.yml")
        try "global:\n  scrape_interval: 1h\n".write(to: config, atomically: true, encoding: .utf8)
        let port = 20_000 + Int(getpid() % 20_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: prometheus)
        server.arguments = ["--config.file=\(config.path)", "--storage.tsdb.path=\(tsdb)", "--storage.tsdb.retention.time=100y",
                            "--web.listen-address=127.0.0.1:\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let api = "http://127.0.0.1:\(port)/api/v1/"
        var ready = false
        for _ in 0..<100 where !ready {
            try await Task.sleep(for: .milliseconds(200))
            ready = (try? await PromQLDifferential.get("http://127.0.0.1:\(port)/-/ready"))?.contains("Ready") == true
        }
        try #require(ready, "prometheus did not become ready")

        var store = MemoryQueryable()
        try OpenMetricsText.load(om, into: &store, defaultTime: 0)
        // The oracle is Prometheus 2.42: compare in its semantics.
        let engine = Engine(options: EngineOptions(compat: .v2_42))
        var mismatches = 0
        var compared = 0
        for q in PromQLDifferential.queries {
            let ordered = q.contains("sort")
            let cases: [(String, Int64?, (Int64, Int64, Int64)?)] = [
                ("query?time=\(PromQLDifferential.base + 1800)", (PromQLDifferential.base + 1800) * 1000, nil),
                ("query?time=\(PromQLDifferential.base + 3590).5", (PromQLDifferential.base + 3590) * 1000 + 500, nil),
                ("query_range?start=\(PromQLDifferential.base + 7)&end=\(PromQLDifferential.base + 1900)&step=37",
                 nil, ((PromQLDifferential.base + 7) * 1000, (PromQLDifferential.base + 1900) * 1000, 37_000)),
            ]
            for (path, time, range) in cases {
                if range != nil && ordered { continue }
                let theirs = try await PromQLDifferential.get(api + path + "&query=" + PromQLDifferential.encode(q))
                let ours: String
                do {
                    let res: QueryResult
                    if let time {
                        res = try await engine.instantQuery(store, q, time: time)
                    } else {
                        let (s, e, st) = range!
                        res = try await engine.rangeQuery(store, q, start: s, end: e, step: st)
                    }
                    ours = ResultJSON.success(res)
                } catch let e as ParseError {
                    ours = ResultJSON.error(type: "bad_data", message: time != nil ? "invalid parameter \"query\": \(e)" : "\(e)")
                } catch {
                    ours = ResultJSON.error(type: "execution", message: "\(error)")
                }
                let a = PromQLDifferential.canonical(theirs, ordered: ordered), b = PromQLDifferential.canonical(ours, ordered: ordered)
                compared += 1
                // Which duplicate a many-to-many error names depends on Go map order.
                if a != b && !(a.contains("many-to-many matching not allowed") && b.contains("many-to-many matching not allowed")) {
                    mismatches += 1
                    Issue.record("\(q) [\(path)]\n prometheus: \(a.prefix(400))\n strata:     \(b.prefix(400))")
                    break
                }
            }
        }
        #expect(mismatches == 0)
        #expect(compared > 700, "only \(compared) comparisons ran")
    }
}
