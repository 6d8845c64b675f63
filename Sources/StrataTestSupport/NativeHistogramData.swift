import Foundation
import StrataCore
#if canImport(Glibc)
import Glibc
#endif

/// The block a real Prometheus 2.42 wrote while scraping native histograms
/// (testdata/native-histograms, made by its make-block.sh), and that Prometheus's own API
/// answer over the same data: every raw sample of the `nh*` series, histograms from one
/// instant query per sample (`*.api-instant.json.gz`; 2.42's range answer aliases the
/// histogram points of a series, see make-instant-oracle.py).
public enum NativeHistogramData {
    public static let blockID = "01M94898RDGN0X8JGN0F5JNRFA"
    public static var root: String { TestEnv.testdata + "/native-histograms/prom242" }
    public static var blockDir: String { root + "/" + blockID }

    /// One series of the oracle: float samples or histogram samples (time in ms, count, sum
    /// and Prometheus's `[boundaryRule, lower, upper, count]` buckets as printed).
    public struct Series: Sendable {
        public var labels: Labels
        public var floats: [(t: Int64, v: Double)] = []
        public var histograms: [(t: Int64, count: Double, sum: Double, buckets: [[String]])] = []
    }

    /// The oracle document as Prometheus returned it.
    public static func oracleJSON() throws -> JSONValue {
        let r = try TestEnv.run("/bin/gzip", ["-dc", root + "/\(blockID).api-instant.json.gz"])
        guard r.status == 0 else { throw MissingComponent(description: "gzip -dc of the native histogram oracle failed: \(r.stderr)") }
        return try JSONValue(parsing: r.stdout)
    }

    /// How an API answer to `{__name__=~"nh.*"}[1h]` at the block's last millisecond differs
    /// from the oracle (every float and histogram sample, count, sum and bucket as printed);
    /// empty when it is the same.
    public static func differences(fromAnswer doc: JSONValue) throws -> [String] {
        let oracle = try oracle()
        var out: [String] = []
        if doc["status"]?.stringValue != "success" { out.append("status \(doc["status"]?.stringValue ?? "?")") }
        if let w = doc["warnings"] { out.append("warnings \(w.serialized())") }
        let result = doc["data"]?["result"]?.arrayValue ?? []
        if result.count != oracle.count { out.append("\(result.count) series, Prometheus has \(oracle.count)") }
        func ms(_ v: JSONValue?) -> Int64 {
            switch v {
            case .int(let i)?: i * 1000
            case .double(let d)?: Int64((d * 1000).rounded())
            default: .min
            }
        }
        for want in oracle {
            guard let got = result.first(where: { r in
                Labels((r["metric"]?.objectValue ?? []).map { Label($0.key, $0.value.stringValue ?? "") }) == want.labels
            }) else {
                out.append("missing \(want.labels)")
                continue
            }
            let floats = (got["values"]?.arrayValue ?? []).map { (ms($0.arrayValue?.first), Double($0.arrayValue?.last?.stringValue ?? "") ?? .nan) }
            if floats.map(\.0) != want.floats.map(\.t) || floats.map(\.1) != want.floats.map(\.v) { out.append("floats of \(want.labels)") }
            let hists = got["histograms"]?.arrayValue ?? []
            if hists.map({ ms($0.arrayValue?.first) }) != want.histograms.map(\.t) { out.append("histogram times of \(want.labels)") }
            for (h, w) in zip(hists, want.histograms) {
                let obj = h.arrayValue?.last
                let buckets = (obj?["buckets"]?.arrayValue ?? []).map { b in
                    (b.arrayValue ?? []).map { $0.stringValue ?? ($0.int64Value.map { String($0) } ?? "") }
                }
                if Double(obj?["count"]?.stringValue ?? "") != w.count || Double(obj?["sum"]?.stringValue ?? "") != w.sum || buckets != w.buckets {
                    out.append("histogram of \(want.labels) @\(w.t): \(obj?.serialized() ?? "")")
                }
            }
        }
        return out
    }

    /// The oracle, series in label order.
    public static func oracle() throws -> [Series] {
        func ms(_ v: JSONValue?) -> Int64 {
            switch v {
            case .int(let i)?: i * 1000
            case .double(let d)?: Int64((d * 1000).rounded())
            default: .min
            }
        }
        func num(_ v: JSONValue?) -> Double { Double(v?.stringValue ?? "") ?? .nan }
        var out: [Series] = []
        for r in try oracleJSON()["data"]?["result"]?.arrayValue ?? [] {
            var s = Series(labels: Labels((r["metric"]?.objectValue ?? []).map { Label($0.key, $0.value.stringValue ?? "") }))
            for p in r["values"]?.arrayValue ?? [] { s.floats.append((ms(p.arrayValue?.first), num(p.arrayValue?.last))) }
            for p in r["histograms"]?.arrayValue ?? [] {
                let h = p.arrayValue?.last
                let buckets = (h?["buckets"]?.arrayValue ?? []).map { b in
                    (b.arrayValue ?? []).map { $0.stringValue ?? ($0.int64Value.map { String($0) } ?? "") }
                }
                s.histograms.append((ms(p.arrayValue?.first), num(h?["count"]), num(h?["sum"]), buckets))
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
