import Foundation
import Logging
import StrataBucket
import StrataCore
@testable import StrataObjStore
import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Synchronization
import Testing

/// A bucket that counts what is asked of it, to check that the gateway makes few calls
/// (one listing per sync, no meta.json or index re-reads after a restart).
final class CountingBucket: Bucket {
    let base: any Bucket
    struct Counts {
        var gets: [String] = []
        var ranges: [String] = []
        var rangeBytes: Int64 = 0
        var iters = 0
        var attributes = 0
    }
    let counts = Mutex(Counts())
    var kind: String { base.kind }

    init(_ base: any Bucket) { self.base = base }

    func reset() { counts.withLock { $0 = Counts() } }
    var snapshot: Counts { counts.withLock { $0 } }

    func get(_ key: String) async throws -> ObjectStream {
        counts.withLock { $0.gets.append(key) }
        return try await base.get(key)
    }
    func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        counts.withLock { $0.ranges.append(key); $0.rangeBytes += length }
        return try await base.getRange(key, offset: offset, length: length)
    }
    func put(_ key: String, body: PutBody) async throws { try await base.put(key, body: body) }
    func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool { try await base.putIfAbsent(key, body: body) }
    func getVersioned(_ key: String) async throws -> VersionedObject { try await base.getVersioned(key) }
    func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        try await base.putIfMatch(key, body: body, etag: etag)
    }
    func delete(_ key: String) async throws { try await base.delete(key) }
    func exists(_ key: String) async throws -> Bool { try await base.exists(key) }
    func attributes(_ key: String) async throws -> ObjectAttributes {
        counts.withLock { $0.attributes += 1 }
        return try await base.attributes(key)
    }
    func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        counts.withLock { $0.iters += 1 }
        try await base.iterate(prefix: prefix, recursive: recursive, body)
    }
}

/// A `moto_server` on a free port for one test. Under CI=true a missing moto fails the test.
final class Moto: Sendable {
    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    static func executable() throws -> String? {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        for d in [home + "/.local/bin", home + "/.pyenv/shims"] where FileManager.default.isExecutableFile(atPath: d + "/moto_server") {
            return d + "/moto_server"
        }
        return try TestEnv.require("moto_server", hint: "pip install 'moto[server]'")
    }

    /// nil when moto is not installed (and not under CI).
    static func start() async throws -> Moto? {
        guard let exe = try executable() else { return nil }
        let port = try freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let m = Moto(port: port, process: p)
        let deadline = Date().addingTimeInterval(30)
        while httpStatus(port: port, path: "/") == nil {
            if !p.isRunning || Date() > deadline {
                m.stop()
                throw StoreTestError("moto_server did not listen on 127.0.0.1:\(port) within 30 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return m
    }

    func bucket(_ name: String) async throws -> S3Bucket {
        var c = S3Config(bucket: name, endpoint: "127.0.0.1:\(port)")
        c.accessKey = "AKIDEXAMPLE"
        c.secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        c.insecure = true
        c.lookupType = .path
        let b = try S3Bucket(config: c, retry: .init(maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 100))
        _ = try await b.send("create_bucket", key: "", S3Request(method: "PUT", key: nil), accept: [200])
        return b
    }

    /// SIGKILL: moto keeps everything in memory, there is nothing to flush.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

enum Fixtures {
    static let promExternal = ["cluster": "c1", "replica": "a"]

    /// Uploads the promtool-made testdata blocks with external labels.
    @discardableResult
    static func uploadPromBlocks(_ bucket: any Bucket, labels: [String: String] = promExternal) async throws -> [BlockMeta] {
        var metas: [BlockMeta] = []
        for dir in try TestEnv.promBlocks() {
            metas.append(try await BlockUploader(bucket: bucket, logger: Logger(label: "test")).upload(
                blockDir: dir, externalLabels: labels, source: "test"))
        }
        return metas
    }

    /// promtool dump lines of all testdata blocks with `extra` labels merged in.
    static func promDump(_ promtool: String, extra: [String: String]) throws -> [String] {
        let ext = Labels(extra)
        return try TestEnv.promBlocks().flatMap { dir in
            try TestEnv.promtoolDump(promtool, block: dir).split(separator: "\n").map { line in
                let s = String(line)
                let l = try parseDumpLabels(s).merging(ext)
                return "\(l) " + s[s.range(of: "} ", options: .backwards)!.upperBound...]
            }
        }
    }

    static func store(_ bucket: any Bucket, dataDir: String, _ tweak: (inout BucketStore.Config) -> Void = { _ in }) -> BucketStore {
        var c = BucketStore.Config(dataDir: dataDir)
        tweak(&c)
        return BucketStore(name: "test", bucket: bucket, config: c, logger: Logger(label: "test"))
    }

    static func request(_ selector: String, _ mint: Int64 = .min, _ maxt: Int64 = .max) throws -> Thanos_SeriesRequest {
        var r = Thanos_SeriesRequest()
        r.minTime = mint
        r.maxTime = maxt
        r.matchers = try SeriesSelector.parse(selector).map(\.proto)
        return r
    }

    static func collect(_ store: any StoreClient, _ req: Thanos_SeriesRequest) async throws -> (series: [Thanos_Series], warnings: [String]) {
        let box = SeriesBox()
        let warnings = Mutex<[String]>([])
        try await store.series(req) { r in
            switch r.result {
            case .series(let s)?: box.append(s)
            case .warning(let w)?: warnings.withLock { $0.append(w) }
            default: break
            }
        }
        return (box.all, warnings.withLock { $0 })
    }

    /// The gateway's selection for a query in process (`selectedSeries`, query pushdown)
    /// against what its Series call sends for the same request: the same series in the same
    /// order, the same warnings, every chunk the same — raw XOR ones as their bytes, the rest
    /// as the very messages. Returns the selection.
    @discardableResult
    static func expectSelectionMatchesSeries(_ store: BucketStore, _ req: Thanos_SeriesRequest) async throws -> [SelectedSeries] {
        let (sent, sentWarnings) = try await collect(store, req)
        let (selected, warnings) = try await store.selectedSeries(req)
        #expect(warnings.sorted() == sentWarnings.sorted())
        #expect(selected.map(\.labels) == sent.map { Labels(proto: $0.labels) })
        for (s, m) in zip(selected, sent) {
            switch s.chunks {
            case .xor(let parts):
                #expect(parts.map(\.minTime) == m.chunks.map(\.minTime) && parts.map(\.maxTime) == m.chunks.map(\.maxTime), "\(s.labels)")
                #expect(m.chunks.allSatisfy { $0.raw.type == .xor }, "\(s.labels)")
                #expect(parts.map { Array($0.data) } == m.chunks.map { Array($0.raw.data) }, "\(s.labels)")
            case .messages(let chunks):
                #expect(chunks == m.chunks, "\(s.labels)")
            }
        }
        return selected
    }

    /// Dump lines (`{labels} value ts`) of a response, samples clipped to [mint, maxt].
    static func lines(_ series: [Thanos_Series], mint: Int64 = .min, maxt: Int64 = .max) throws -> [String] {
        try StoreAPITests.dumpLines(series, mint: mint, maxt: maxt)
    }

    /// Sorted by labels, then time: the order a merged store stream has.
    static func sortDump(_ lines: [String]) -> [String] {
        let keyed = lines.map { (try! parseDumpLabels($0), dumpTime($0), $0) }
        return keyed.sorted { a, b in
            let c = Labels.compare(a.0, b.0)
            return c != 0 ? c < 0 : a.1 < b.1
        }.map(\.2)
    }

    static func writeBlock(parent: String, minTime: Int64, hours: Int, series: Int, labels: [String: String],
                           step: Int64 = 60_000) throws -> BlockMeta {
        let maxTime = minTime + Int64(hours) * 3_600_000
        let w = try BlockWriter(parentDir: parent, minTime: minTime, maxTime: maxTime)
        var all: [(Labels, [Int64], [Double])] = []
        for k in 0..<series {
            let ts = Array(stride(from: minTime, to: maxTime, by: Int(step)))
            let vs = ts.enumerated().map { i, _ in Double(i * (k + 1)) }
            all.append((Labels(["__name__": "gen_metric", "series": "s\(k)", "mod": "m\(k % 3)"]), ts, vs))
        }
        all.sort { Labels.compare($0.0, $1.0) < 0 }
        for (l, ts, vs) in all { try w.add(l, timestamps: ts, values: vs) }
        return try w.commit { $0.thanos = ThanosMeta(labels: labels, source: "test") }
    }
}

struct StoreTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
