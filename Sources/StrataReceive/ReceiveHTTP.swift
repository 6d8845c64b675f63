import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StrataCore
import StrataRemoteWrite
import StrataTSDB
import Synchronization

/// `POST /api/v1/receive` on `--remote-write.address`: Prometheus remote write 1.0 and 2.0
/// (negotiated by Content-Type as Prometheus's own receiver does), the tenant from
/// `--receive.tenant-header`, the request limits, and the memory budget checked before a
/// body is decompressed, then the write handed to the `Distributor`. Answers 204 as
/// Prometheus does; refusals carry their reason as text with the status that tells the
/// client whether to re-send (see `ReceiveError`).
struct ReceiveHTTP: Sendable {
    let distributor: Distributor
    let tenantHeader: HTTPField.Name
    let defaultTenant: String
    let limits: @Sendable () -> ReceiveLimits
    let budget: InflightBudget
    /// Each tenant's label sets seen before, with their head refs.
    let interners: TenantInterners
    let ready: @Sendable () -> Bool
    let metrics: ReceiveMetrics
    let logger: Logger
    /// Compressed bodies above this are refused unread (413).
    static let maxCompressedBody = 64 << 20
    static let maxDecompressedBody = 256 << 20

    func add(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/receive") { request, _ -> Response in
            let start = ContinuousClock.now
            let response: Response
            do {
                response = try await handle(request)
            } catch {
                let e = error as? ReceiveError ?? .internal("\(error)")
                if e.httpStatus >= 500 { logger.warning("write refused", metadata: ["status": "\(e.httpStatus)", "err": "\(e)"]) }
                response = Response(status: .init(code: e.httpStatus), headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: e.description + "\n")))
            }
            metrics.request(code: response.status.code)
            let d = ContinuousClock.now - start
            metrics.requestDuration.recordNanoseconds(d.nanoseconds)
            return response
        }
    }

    func handle(_ request: Request) async throws -> Response {
        guard ready() else { throw ReceiveError.unavailable("receiver is not ready") }
        let tenant = request.headers[tenantHeader].flatMap { $0.isEmpty ? nil : $0 } ?? defaultTenant
        guard TenantHeads.isValidTenant(tenant) else { throw ReceiveError.invalidTenant(tenant) }
        let version: RemoteWriteVersion
        do {
            version = try RemoteWriteProtocol.negotiate(contentType: request.headers[.contentType],
                                                        contentEncoding: request.headers[.contentEncoding])
        } catch { throw Self.wireError(error) }
        let limits = self.limits()
        let tenantLimits = limits.limits(for: tenant).request
        if let length = request.headers[.contentLength].flatMap(Int64.init),
           ReceiveLimits.exceeds(length, tenantLimits.sizeBytes) {
            metrics.refused(reason: "size_bytes_limit")
            throw ReceiveError.tooLarge("write request too large: \(length) bytes, limit \(tenantLimits.sizeBytes ?? 0)")
        }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.maxCompressedBody) } catch {
            metrics.refused(reason: "body")
            throw ReceiveError.tooLarge("write request too large or unreadable: \(error)")
        }
        let body = Array(buffer: buffer)
        if ReceiveLimits.exceeds(Int64(body.count), tenantLimits.sizeBytes) {
            metrics.refused(reason: "size_bytes_limit")
            throw ReceiveError.tooLarge("write request too large: \(body.count) bytes, limit \(tenantLimits.sizeBytes ?? 0)")
        }
        // The decompressed size, from snappy's header, is reserved before anything is
        // allocated for it: under a surge the receiver answers 503 instead of growing.
        let cost = (Snappy.uncompressedLength(body) ?? body.count) + body.count
        guard budget.reserve(cost) else {
            metrics.refused(reason: "inflight_bytes")
            throw ReceiveError.unavailable("receiver overloaded: \(budget.limit) bytes of requests in flight; retry")
        }
        defer { budget.release(cost) }
        guard limits.maxConcurrency <= 0 || budget.enter(limit: limits.maxConcurrency) else {
            metrics.refused(reason: "max_concurrency")
            throw ReceiveError.unavailable("receiver overloaded: \(limits.maxConcurrency) requests in flight; retry")
        }
        defer { if limits.maxConcurrency > 0 { budget.leave() } }

        let batch: WriteBatch
        do {
            // Invalid series are set aside: the others are written, then the answer is 400
            // naming them, as Prometheus's receiver does.
            batch = try RemoteWriteProtocol.decodeBody(body, version: version, maxDecompressedBytes: Self.maxDecompressedBody,
                                                       invalidSeries: .collect, interner: interners.interner(tenant),
                                                       knownByRef: distributor.writesEverySeriesHere(tenant: tenant))
        } catch { throw Self.wireError(error) }
        metrics.received(tenant: tenant, series: batch.seriesCount, samples: batch.sampleCount,
                         histograms: batch.histogramCount, exemplars: batch.exemplarCount)
        if ReceiveLimits.exceeds(Int64(batch.seriesCount), tenantLimits.series) {
            metrics.refused(reason: "series_limit")
            throw ReceiveError.tooLarge("too many timeseries: \(batch.seriesCount), limit \(tenantLimits.series ?? 0)")
        }
        let samples = batch.sampleCount + batch.histogramCount
        if ReceiveLimits.exceeds(Int64(samples), tenantLimits.samples) {
            metrics.refused(reason: "samples_limit")
            throw ReceiveError.tooLarge("too many samples: \(samples), limit \(tenantLimits.samples ?? 0)")
        }
        if batch.seriesCount > 0 { try await distributor.write(tenant: tenant, batch) }
        if let e = batch.rejectionError {
            metrics.rejected(tenant: tenant, reason: "invalid_series", samples: batch.rejected.count)
            throw ReceiveError.invalid(e.description)
        }
        var headers: HTTPFields = [:]
        if version == .v2 {
            headers[HTTPField.Name(RemoteWriteProtocol.samplesWrittenHeader)!] = String(batch.sampleCount)
            headers[HTTPField.Name(RemoteWriteProtocol.histogramsWrittenHeader)!] = String(batch.histogramCount)
            headers[HTTPField.Name(RemoteWriteProtocol.exemplarsWrittenHeader)!] = "0"
        }
        return Response(status: .noContent, headers: headers)
    }

    /// A wire-level error (415, 413, 400) as the receiver answers it.
    static func wireError(_ error: Error) -> ReceiveError {
        guard let e = error as? RemoteWriteError else { return .invalid("\(error)") }
        switch e.httpStatus {
        case 413: return .tooLarge(e.description)
        case 415: return .unsupportedMediaType(e.description)
        default: return .invalid(e.description)
        }
    }
}

/// Bytes and requests in flight on the remote-write port (`--receive.max-inflight-bytes`,
/// the limits file's `max_concurrency`).
final class InflightBudget: Sendable {
    let limit: Int
    private let state = Mutex<(bytes: Int, requests: Int64)>((0, 0))
    let metrics: ReceiveMetrics

    init(limit: Int, metrics: ReceiveMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    /// A request bigger than the whole budget still passes when nothing else is in flight,
    /// so no single request is refused forever.
    func reserve(_ n: Int) -> Bool {
        let r = state.withLock { s -> Int? in
            guard limit <= 0 || s.bytes == 0 || s.bytes + n <= limit else { return nil }
            s.bytes += n
            return s.bytes
        }
        if let r { metrics.inflightBytes.record(r) }
        return r != nil
    }

    func release(_ n: Int) {
        metrics.inflightBytes.record(state.withLock { s in s.bytes -= n; return s.bytes })
    }

    func enter(limit: Int64) -> Bool {
        state.withLock { s in
            guard s.requests < limit else { return false }
            s.requests += 1
            return true
        }
    }

    func leave() { state.withLock { $0.requests -= 1 } }
}
