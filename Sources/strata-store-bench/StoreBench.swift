import ArgumentParser
import Foundation
import Logging
import StrataCore
import StrataObjStore
import StrataStore
import StrataStoreAPI
import Synchronization

/// `strata-store-bench`: the figures of docs/benchmarks.md for the store gateway, measured
/// in-process on a filesystem bucket (build with `-c release`): sync time for the bucket's
/// blocks (run twice: cold, then with a warm data dir), resident memory per loaded block,
/// series/s and samples/s of a selector, and bucket requests per query.
@main
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "strata-store-bench",
                                                    abstract: "Benchmarks the bucket store over a filesystem bucket.")

    @Option(help: "Filesystem bucket directory (block directories at its top level).") var bucket: String
    @Option(name: .customLong("data-dir"), help: "Data dir (index-headers, meta.json cache); reuse it for warm starts.") var dataDir: String
    @Option(help: "Selector to query (empty: sync only).") var selector = ""
    @Option(help: "Timed query rounds.") var rounds = 3
    @Option(name: .customLong("request-bytes"), help: "Byte budget of a request.") var requestBytes = 8 << 30
    @Flag(help: "Use no index cache.") var noCache = false
    @Flag(help: "Query through gRPC (server and client in this process, over 127.0.0.1) instead of calling the store directly.") var grpc = false

    func run() async throws {
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
        let counting = CountingBucket(try FilesystemBucket(directory: bucket))
        var config = BucketStore.Config(dataDir: dataDir)
        config.limits.requestBytes = requestBytes
        if !noCache { config.indexCache = InMemoryIndexCache() }
        let rss0 = Self.rssBytes()
        let t0 = ContinuousClock.now
        let store = BucketStore(bucket: counting, config: config)
        let r = try await store.sync()
        let syncTime = ContinuousClock.now - t0
        let blocks = store.loadedBlocks.count
        let rss1 = Self.rssBytes()
        print("sync: \(blocks) blocks (\(r.loaded.count) new, \(r.failed.count) failed) in \(syncTime); bucket calls: \(counting.summary)")
        print("resident memory: \(rss1 / 1_048_576) MiB after sync, +\((rss1 - rss0) / max(1, blocks)) bytes per loaded block")
        guard !selector.isEmpty else { return }
        var req = Thanos_SeriesRequest()
        req.minTime = .min
        req.maxTime = .max
        req.matchers = try SeriesSelector.parse(selector).map(\.proto)
        req.responseBatchSize = 64  // as strata-query asks
        var client: (any StoreClient) = store
        var server: GRPCStoreServer?
        var serving: Task<Void, Error>?
        if grpc {
            let srv = GRPCStoreServer(store: store, host: "127.0.0.1", port: 0)
            serving = Task { try await srv.serve() }
            client = try GRPCStoreClient(target: "127.0.0.1:\(try await srv.boundPort())", timeout: .seconds(600))
            server = srv
        }
        defer {
            (client as? GRPCStoreClient)?.close()
            server?.shutdown()
            serving?.cancel()
        }
        for round in 1...rounds {
            counting.reset()
            let totals = Mutex((series: 0, samples: 0, bytes: 0))
            let t = ContinuousClock.now
            // When the first series arrives: over gRPC, what the transport adds before any data.
            let first = Mutex<ContinuousClock.Instant?>(nil)
            try await client.series(req) { resp in
                first.withLock { if $0 == nil { $0 = ContinuousClock.now } }
                guard case .series(let s)? = resp.result else { return }
                var samples = 0, bytes = 0
                for c in s.chunks {
                    let d = c.raw.data
                    bytes += d.count
                    if d.count >= 2 { samples += Int(d[d.startIndex]) << 8 | Int(d[d.startIndex + 1]) }
                }
                totals.withLock { $0.series += 1; $0.samples += samples; $0.bytes += bytes }
            }
            let secs = Self.seconds(ContinuousClock.now - t)
            let firstSecs = Self.seconds((first.withLock { $0 } ?? t) - t)
            let v = totals.withLock { $0 }
            print(String(format: "query round %d%@: %d series, %d samples, %.1f MiB chunks in %.3f s (first series after %.3f s): %.0f series/s, %.1f M samples/s; bucket calls: %@",
                         round, grpc ? " (gRPC)" : "", v.series, v.samples, Double(v.bytes) / 1_048_576, secs, firstSecs, Double(v.series) / secs,
                         Double(v.samples) / secs / 1e6, counting.summary))
        }
        print("resident memory after queries: \(Self.rssBytes() / 1_048_576) MiB")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// VmRSS of this process.
    static func rssBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}

/// Counts the bucket calls a sync or query makes.
final class CountingBucket: Bucket {
    let base: any Bucket
    private let counts = Mutex((gets: 0, ranges: 0, iters: 0, rangeBytes: Int64(0), indexRanges: 0))
    var kind: String { base.kind }
    init(_ base: any Bucket) { self.base = base }

    func reset() { counts.withLock { $0 = (0, 0, 0, 0, 0) } }
    var summary: String {
        let c = counts.withLock { $0 }
        return "\(c.iters) listings, \(c.gets) GETs, \(c.ranges) ranged GETs (\(c.indexRanges) of the index; \(c.rangeBytes / 1024) KiB asked)"
    }

    func get(_ key: String) async throws -> ObjectStream {
        counts.withLock { $0.gets += 1 }
        return try await base.get(key)
    }
    func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        counts.withLock {
            $0.ranges += 1
            $0.rangeBytes += length
            if key.hasSuffix("/index") { $0.indexRanges += 1 }
        }
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
    func attributes(_ key: String) async throws -> ObjectAttributes { try await base.attributes(key) }
    func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        counts.withLock { $0.iters += 1 }
        try await base.iterate(prefix: prefix, recursive: recursive, body)
    }
}
