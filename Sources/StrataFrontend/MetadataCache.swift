import Crypto
import Foundation
import Logging
import Metrics
import StrataCore
import StrataQuery
import Synchronization

/// `/api/v1/labels`, `/api/v1/label/<name>/values` and `/api/v1/series` through the frontend
/// (Thanos's `--labels.*`): the time range (default: the last `defaultTimeRange`) is split
/// at `splitInterval` boundaries, each part answered from the cache or the querier (in
/// parallel), and the parts' answers united — names and values as a sorted set, series as a
/// set of label sets in label order, as the querier sorts them. Parts with warnings and parts
/// reaching into the last `maxFreshness` are not cached.
public final class MetadataCache: Sendable {
    public struct Config: Sendable {
        public var splitInterval: Int64 = 86_400_000
        public var maxQueryParallelism = 14
        public var defaultTimeRange: Int64 = 86_400_000
        public var maxFreshness: Int64 = 60_000
        public var cacheTTL: Duration = .seconds(7 * 86_400)
        public init() {}
    }

    let config: Config
    let downstream: Downstream
    let cache: (any ResultsCache)?
    public let downstreamQueries = Atomic<Int>(0)

    public init(config: Config, downstream: Downstream, cache: (any ResultsCache)?) {
        self.config = config
        self.downstream = downstream
        self.cache = cache
    }

    public static func handles(_ path: String) -> Bool {
        path == "/api/v1/labels" || path == "/api/v1/series" || (path.hasPrefix("/api/v1/label/") && path.hasSuffix("/values"))
    }

    struct Failure: Error {
        let response: Downstream.Response
    }

    /// One part's answer (cached or fetched) or the querier's error.
    enum Part: Sendable {
        case answer(index: Int, body: [UInt8], fresh: Bool)
        case failed(Downstream.Response)
    }

    public func handle(path: String, _ form: FormValues) async -> Downstream.Response {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let end0 = form["end"].map { QueryRangeCache.time($0) } ?? now
        let start0 = form["start"].map { QueryRangeCache.time($0) } ?? end0.map { $0 - config.defaultTimeRange }
        guard let start = start0, let end = end0, end >= start else {
            return await downstream.send(method: "GET", path + "?" + form.encoded())
        }
        let parts = Self.parts(start, end, interval: config.splitInterval)
        let semantics = cache == nil ? "" : await downstream.semantics()
        let keys = parts.map { key(path, form, $0.0, $0.1, semantics: semantics) }
        let cached = cache == nil ? [:] : await cache!.fetch(keys)
        let gate = AsyncSemaphore(limit: config.maxQueryParallelism)
        let cutoff = now - config.maxFreshness
        let answers = await withTaskGroup(of: Part.self) { group in
            for (i, p) in parts.enumerated() {
                if let hit = cached[keys[i]] {
                    Counter(label: "strata_frontend_cache_hits_total").increment()
                    group.addTask { .answer(index: i, body: hit, fresh: false) }
                    continue
                }
                Counter(label: "strata_frontend_cache_misses_total").increment()
                group.addTask {
                    do {
                        return .answer(index: i, body: try await gate.with { try await self.fetch(path, form, p.0, p.1) }, fresh: true)
                    } catch let f as Failure {
                        return .failed(f.response)
                    } catch {
                        return .failed(Downstream.Response(status: 503, contentType: nil, body: []))
                    }
                }
            }
            var out: [Part] = []
            for await r in group { out.append(r) }
            return out
        }
        var strings = Set<String>()
        var series = Set<Labels>()
        var warnings: [String] = []
        var toStore: [String: [UInt8]] = [:]
        for r in answers {
            switch r {
            case .failed(let response): return response
            case .answer(let i, let body, let fresh):
                guard let doc = try? JSONValue(parsing: body), doc["status"]?.stringValue == "success",
                      let data = doc["data"]?.arrayValue else {
                    return Downstream.Response(status: 502, contentType: "application/json", body: Array(
                        "{\"status\":\"error\",\"errorType\":\"internal\",\"error\":\"unreadable answer from the querier\"}".utf8))
                }
                let ws = (doc["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
                for w in ws where !warnings.contains(w) { warnings.append(w) }
                for d in data {
                    if let s = d.stringValue {
                        strings.insert(s)
                    } else if let o = d.objectValue {
                        series.insert(Labels(o.compactMap { m in m.value.stringValue.map { Label(m.key, $0) } }))
                    }
                }
                if fresh && ws.isEmpty && parts[i].1 < cutoff && cache != nil { toStore[keys[i]] = body }
            }
        }
        if !toStore.isEmpty { await cache?.store(toStore, ttl: config.cacheTTL) }
        var w = JSONBytes(capacity: 4096)
        w.append("{\"status\":\"success\",\"data\":")
        if path == "/api/v1/series" {
            w.byte(UInt8(ascii: "["))
            for (i, l) in series.sorted().enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.metric(l)
            }
            w.byte(UInt8(ascii: "]"))
        } else {
            w.stringArray(strings.sorted(by: bytewiseLess))
        }
        if !warnings.isEmpty {
            w.append(",\"warnings\":")
            w.stringArray(warnings)
        }
        w.byte(UInt8(ascii: "}"))
        return Downstream.Response(status: 200, contentType: "application/json", body: w.bytes)
    }

    func fetch(_ path: String, _ form: FormValues, _ start: Int64, _ end: Int64) async throws -> [UInt8] {
        downstreamQueries.add(1, ordering: .relaxed)
        let q = form.encoded(replacing: ["start": QueryRangeCache.seconds(start), "end": QueryRangeCache.seconds(end)])
        let r = await downstream.send(method: "GET", path + "?" + q)
        guard r.status == 200 else { throw Failure(response: r) }
        return r.body
    }

    /// [start, end] cut at interval boundaries (each part ends 1 ms before the next begins).
    static func parts(_ start: Int64, _ end: Int64, interval: Int64) -> [(Int64, Int64)] {
        guard interval > 0 else { return [(start, end)] }
        var out: [(Int64, Int64)] = []
        var s = start
        while s <= end {
            let e = min(end, (RangeSplit.floorDiv(s, interval) + 1) * interval - 1)
            out.append((s, e))
            s = e + 1
        }
        return out
    }

    /// Per path, parameters, part and querier semantics (selectors parse differently).
    func key(_ path: String, _ form: FormValues, _ s: Int64, _ e: Int64, semantics: String) -> String {
        var h = SHA256()
        h.update(data: Array(path.utf8) + [0] + Array(semantics.utf8) + [0])
        for (k, v) in form.items.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) where k != "start" && k != "end" {
            h.update(data: Array(k.utf8) + [0] + Array(v.utf8) + [0])
        }
        return "md:" + h.finalize().prefix(16).map { String(format: "%02x", $0) }.joined() + ":\(s):\(e)"
    }
}
