import Foundation
import StrataCore
#if canImport(Glibc)
import Glibc
#endif

/// The block a real Prometheus 2.42 wrote while scraping native histograms
/// (testdata/native-histograms, made by its make-block.sh), and that Prometheus's own API
/// answer over the same data: every raw sample of the `nh*` series.
public enum NativeHistogramData {
    public static let blockID = "01M94898RDGN0X8JGN0F5JNRFA"
    public static var blockDir: String { TestEnv.testdata + "/native-histograms/prom242/" + blockID }

    /// One series of the oracle: float samples or histogram samples (as Prometheus's JSON
    /// gives them: time in ms, count, sum and `[boundaryRule, lower, upper, count]` buckets).
    public struct Series: Sendable {
        public var labels: Labels
        public var floats: [(t: Int64, v: Double)] = []
        public var histograms: [(t: Int64, count: Double, sum: Double, buckets: [[String]])] = []
    }

    /// The oracle, series in label order.
    public static func oracle() throws -> [Series] {
        let r = try TestEnv.run("/bin/gzip", ["-dc", TestEnv.testdata + "/native-histograms/prom242/\(blockID).api-raw.json.gz"])
        guard r.status == 0, let root = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let data = root["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw MissingComponent(description: "native histogram oracle unreadable")
        }
        func ms(_ t: Any?) -> Int64 { Int64((((t as? Double) ?? 0) * 1000).rounded()) }
        func num(_ s: Any?) -> Double { Double((s as? String) ?? "") ?? .nan }
        var out: [Series] = []
        for r in result {
            var s = Series(labels: Labels((r["metric"] as? [String: String]) ?? [:]))
            for p in (r["values"] as? [[Any]]) ?? [] { s.floats.append((ms(p[0]), num(p[1]))) }
            for p in (r["histograms"] as? [[Any]]) ?? [] {
                let h = (p[1] as? [String: Any]) ?? [:]
                let buckets = ((h["buckets"] as? [[Any]]) ?? []).map { $0.map { "\($0)" } }
                s.histograms.append((ms(p[0]), num(h["count"]), num(h["sum"]), buckets))
            }
            out.append(s)
        }
        return out.sorted { Labels.compare($0.labels, $1.labels) < 0 }
    }
}

/// testdata/native-histograms/nh_target.py running on a free port: native histograms in the
/// protobuf exposition format for a live Prometheus to scrape. Needs protoc and Debian's
/// python3-protobuf (`/usr/bin/python3`); nil when missing outside CI, a failure under CI.
public final class NativeHistogramTarget: @unchecked Sendable {
    public let address: String
    let process: Process

    public static func start() throws -> NativeHistogramTarget? {
        guard let protoc = try TestEnv.require("protoc", hint: "apt-get install protobuf-compiler") else { return nil }
        let python = "/usr/bin/python3"
        let probe = try? TestEnv.run(python, ["-c", "import google.protobuf"])
        guard probe?.status == 0 else {
            if TestEnv.isCI { throw MissingComponent(description: "\(python) cannot import google.protobuf: apt-get install python3-protobuf") }
            return nil
        }
        let src = TestEnv.testdata + "/native-histograms"
        let gen = TestEnv.tempDir("nh-target")
        let r = try TestEnv.run(protoc, ["-I", src, "--python_out=" + gen, src + "/metrics.proto"])
        guard r.status == 0 else { throw MissingComponent(description: "protoc failed: \(r.stderr)") }
        let port = try freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [src + "/nh_target.py", String(port), "1"]
        p.environment = ["PYTHONPATH": gen]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let target = NativeHistogramTarget(address: "127.0.0.1:\(port)", process: p)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if httpStatus(port: port, path: "/metrics") == 200 { return target }
            usleep(50_000)
        }
        target.stop()
        throw MissingComponent(description: "nh_target.py did not answer within 20 s")
    }

    init(address: String, process: Process) {
        self.address = address
        self.process = process
    }

    /// SIGKILL: the target keeps no state, and a test process that handles SIGTERM through
    /// Dispatch has it ignored, which children inherit (a SIGTERM would never arrive).
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
