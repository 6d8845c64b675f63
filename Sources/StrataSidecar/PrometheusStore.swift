import AsyncHTTPClient
import CoreMetrics
import Foundation
import NIOCore
import NIOHTTP1
import StrataCore
import StrataStoreAPI
import StrataTSDB
import SwiftProtobuf

/// The sidecar's Store API: recent data from the local Prometheus through remote read.
/// Asks for STREAMED_XOR_CHUNKS (Prometheus's chunks passed through, CRC-checked frame by
/// frame, memory bounded by one frame) and falls back to SAMPLES. Matchers on external
/// labels are decided here; external labels are added to every series.
public final class PrometheusStore: StoreClient {
    public let name: String
    let prometheus: PrometheusClient
    let externalLabels: Labels
    /// Oldest data Prometheus holds (ms), for Info.
    let minTime: @Sendable () -> Int64
    /// Largest frame accepted from Prometheus (its client default).
    static let maxFrameBytes = 50_000_000

    public init(prometheus: PrometheusClient, externalLabels: Labels, minTime: @escaping @Sendable () -> Int64) {
        name = prometheus.baseURL
        self.prometheus = prometheus
        self.externalLabels = externalLabels
        self.minTime = minTime
    }

    public func info() async throws -> Thanos_Info_InfoResponse {
        var r = Thanos_Info_InfoResponse()
        r.componentType = "sidecar"
        var z = Thanos_ZLabelSet()
        z.labels = externalLabels.proto
        r.labelSets = [z]
        var s = Thanos_Info_StoreInfo()
        s.minTime = minTime()
        s.maxTime = Int64.max
        r.store = s
        return r
    }

    /// Matchers left for Prometheus, or nil when an external label rules everything out.
    func localMatchers(_ proto: [Thanos_LabelMatcher]) throws -> [Matcher]? {
        let ms: [Matcher]
        do { ms = try proto.matchers() } catch { throw StoreError.invalidArgument("\(error)") }
        var rest: [Matcher] = []
        for m in ms {
            if externalLabels.has(m.name) {
                if !m.matches(externalLabels[m.name]) { return nil }
            } else {
                rest.append(m)
            }
        }
        return rest
    }

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse all: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        // Remote read has no shards: a sharded request's other series are dropped here.
        let onResponse = SeriesShard.filtering(request.seriesShard, all)
        guard let ms = try localMatchers(request.matchers) else { return }
        var q = Prometheus_Query()
        q.startTimestampMs = request.minTime
        q.endTimestampMs = request.maxTime
        // Prometheus needs at least one matcher; {__name__=~".*"}-like requests still get one.
        q.matchers = (ms.isEmpty ? [try Matcher(.regexMatch, metricNameLabel, ".+")] : ms).map { m in
            var p = Prometheus_LabelMatcher()
            p.name = m.name
            p.value = m.value
            switch m.type {
            case .equal: p.type = .eq
            case .notEqual: p.type = .neq
            case .regexMatch: p.type = .re
            case .regexNoMatch: p.type = .nre
            }
            return p
        }
        var hints = Prometheus_ReadHints()
        hints.startMs = request.minTime
        hints.endMs = request.maxTime
        hints.stepMs = request.queryHints.stepMillis
        hints.func = request.queryHints.func.name
        hints.rangeMs = request.queryHints.range.millis
        hints.by = request.queryHints.grouping.by
        hints.grouping = request.queryHints.grouping.labels
        q.hints = hints
        var rr = Prometheus_ReadRequest()
        rr.queries = [q]
        rr.acceptedResponseTypes = [.streamedXorChunks, .samples]
        let resp = try await prometheus.remoteRead(try rr.serializedBytes())
        guard resp.status == .ok else {
            let body = try await resp.body.collect(upTo: 1 << 16)
            throw StoreError.internal("remote read from \(name): \(resp.status.code) \(String(buffer: body))")
        }
        let contentType = resp.headers.first(name: "Content-Type") ?? ""
        if contentType.hasPrefix("application/x-streamed-protobuf") {
            try await readStreamed(resp, skipChunks: request.skipChunks, onResponse: onResponse)
        } else {
            try await readSamples(resp, skipChunks: request.skipChunks, onResponse: onResponse)
        }
    }

    /// Series labels from Prometheus plus the external labels (the series' own win).
    func labels(_ proto: [Prometheus_Label]) -> [Thanos_Label] {
        Labels(proto.map { Label($0.name, $0.value) }).merging(externalLabels).proto
    }

    func readStreamed(_ resp: HTTPClientResponse, skipChunks: Bool,
                      onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        var buf: [UInt8] = []
        var pos = 0
        var current: Thanos_Series?
        var currentKey: [Prometheus_Label] = []
        // A chunk the Store API cannot carry leaves out only its series, with a warning.
        var unsupported: Prometheus_Chunk.Encoding?
        func flush() async throws {
            guard let c = current else { return }
            if let enc = unsupported {
                let w = "remote read from \(name): series \(Labels(c.labels.map { Label($0.name, $0.value) })) left out: chunk encoding \(enc) cannot be served"
                Counter(label: "strata_sidecar_unsupported_chunks_total", dimensions: [("encoding", "\(enc)")]).increment()
                try await onResponse(.warning(w))
            } else {
                try await onResponse(.series(c))
            }
            current = nil
            unsupported = nil
        }
        for try await part in resp.body {
            buf.removeFirst(pos)
            pos = 0
            buf.append(contentsOf: part.readableBytesView)
            while let frame = try Self.nextFrame(buf, &pos) {
                let msg = try Prometheus_ChunkedReadResponse(serializedBytes: frame)
                for cs in msg.chunkedSeries {
                    // A series may continue over several frames: merge consecutive ones.
                    if current != nil && cs.labels != currentKey { try await flush() }
                    if current == nil {
                        var s = Thanos_Series()
                        s.labels = labels(cs.labels)
                        current = s
                        currentKey = cs.labels
                    }
                    if !skipChunks {
                        for c in cs.chunks {
                            // Prometheus passes its TSDB chunks through unchanged: XOR and both
                            // histogram encodings map one to one, the start-timestamp ones
                            // (3.11+) are transcoded.
                            let byte = (1...6).contains(c.type.rawValue) ? UInt8(c.type.rawValue) : 0
                            let chunk = c.data.withUnsafeBytes { try? Thanos_Chunk.stored(encoding: byte, $0) }
                            guard let ch = chunk ?? nil else {
                                unsupported = c.type
                                continue
                            }
                            var a = Thanos_AggrChunk()
                            a.minTime = c.minTimeMs
                            a.maxTime = c.maxTimeMs
                            a.raw = ch
                            current!.chunks.append(a)
                        }
                    }
                }
            }
        }
        if pos != buf.count { throw StoreError.internal("remote read from \(name): stream ended inside a frame") }
        try await flush()
    }

    /// Parses `uvarint len | be32 CRC32C | message` at `pos`; nil when more bytes are needed.
    static func nextFrame(_ buf: [UInt8], _ pos: inout Int) throws -> [UInt8]? {
        var p = pos
        var len: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard p < buf.count else { return nil }
            let b = buf[p]
            p += 1
            len |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
            if shift > 63 { throw StoreError.internal("remote read: invalid frame length") }
        }
        guard len <= UInt64(maxFrameBytes) else { throw StoreError.internal("remote read: frame of \(len) bytes exceeds \(maxFrameBytes)") }
        let n = Int(len)
        guard p + 4 + n <= buf.count else { return nil }
        let want = UInt32(buf[p]) << 24 | UInt32(buf[p + 1]) << 16 | UInt32(buf[p + 2]) << 8 | UInt32(buf[p + 3])
        let frame = Array(buf[(p + 4)..<(p + 4 + n)])
        guard CRC32C.checksum(frame) == want else { throw StoreError.internal("remote read: frame checksum mismatch (corrupt stream)") }
        pos = p + 4 + n
        return frame
    }

    func readSamples(_ resp: HTTPClientResponse, skipChunks: Bool,
                     onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let body = try await resp.body.collect(upTo: 1 << 30)
        let raw = try Snappy.decompress(Array(body.readableBytesView))
        let rr = try Prometheus_ReadResponse(serializedBytes: raw)
        var series: [(Labels, Thanos_Series)] = []
        for ts in rr.results.first?.timeseries ?? [] {
            var s = Thanos_Series()
            s.labels = labels(ts.labels)
            if !skipChunks {
                for c in try RemoteReadSamples.chunks(ts) {
                    var a = Thanos_AggrChunk()
                    a.minTime = c.minTime
                    a.maxTime = c.maxTime
                    a.raw = c.data.withUnsafeBytes { Thanos_Chunk(c.encoding.storeEncoding, $0) }
                    s.chunks.append(a)
                }
            }
            series.append((Labels(proto: s.labels), s))
        }
        for (_, s) in series.sorted(by: { $0.0 < $1.0 }) { try await onResponse(.series(s)) }
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        var r = Thanos_LabelNamesResponse()
        guard let ms = try localMatchers(request.matchers) else { return r }
        var names = Set(try await prometheus.labelNames(start: request.start, end: request.end, matchers: ms))
        for l in externalLabels.pairs { names.insert(l.name) }
        r.names = names.sorted(by: bytewiseLess)
        return r
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        var r = Thanos_LabelValuesResponse()
        guard let ms = try localMatchers(request.matchers) else { return r }
        if externalLabels.has(request.label) {
            r.values = [externalLabels[request.label]]
            return r
        }
        r.values = try await prometheus.labelValues(request.label, start: request.start, end: request.end, matchers: ms)
        return r
    }
}
