import Foundation
import Metrics
import StrataCore
import StrataRemoteWrite
import StrataTSDB

/// Appends a tenant's share of a write to its head: one appender and one commit (one WAL
/// write, fsynced per `--tsdb.wal-sync`) per request. Samples the head refuses (out of order,
/// too old, duplicate timestamp) do not stop the others: what can be appended is, and the
/// answer names what was refused (Prometheus's receiver answers such writes 400; a series
/// that cannot be appended at all — invalid histogram — is skipped the same way).
struct LocalWriter: Sendable {
    let heads: TenantHeads
    let limits: @Sendable () -> ReceiveLimits
    let metrics: ReceiveMetrics
    /// The decoders' interners, to attach head refs to the series they interned.
    let interners: TenantInterners?

    init(heads: TenantHeads, limits: @escaping @Sendable () -> ReceiveLimits, metrics: ReceiveMetrics,
         interners: TenantInterners? = nil) {
        self.heads = heads
        self.limits = limits
        self.metrics = metrics
        self.interners = interners
    }

    /// Throws a `ReceiveError` when anything was refused; samples not named in it are in the
    /// WAL and the head.
    public func write(tenant: String, _ batch: WriteBatch) throws {
        let t = try heads.tenant(tenant)
        if let limit = limits().limits(for: tenant).headSeries, limit > 0, t.head.seriesCount >= Int(limit) {
            metrics.rejected(tenant: tenant, reason: "head_series_limit", samples: batch.sampleCount + batch.histogramCount)
            throw ReceiveError.tooManyRequests("tenant \(tenant) is above its active series limit of \(limit)")
        }
        let app = t.head.appender()
        var invalid: [String] = []
        // Interned series carry the head ref they were first appended under (see TenantInterners).
        var learned: [(key: UInt64, tag: UInt64)] = []
        for s in batch.series {
            do {
                var ref: UInt64? = s.internTag != 0 ? s.internTag : nil
                for x in s.samples {
                    if let r = ref {
                        do { try app.append(ref: r, x.timestamp, x.value) } catch HeadError.unknownSeriesRef {
                            let r = try app.append(s.labels, x.timestamp, x.value)
                            ref = r
                            if s.internKey != 0 { learned.append((s.internKey, r)) }
                        }
                    } else {
                        let r = try app.append(s.labels, x.timestamp, x.value)
                        ref = r
                        if s.internKey != 0 { learned.append((s.internKey, r)) }
                    }
                }
                for h in s.histograms {
                    switch h.value {
                    case .int(let v): try app.append(s.labels, h.timestamp, histogram: v)
                    case .float(let v): try app.append(s.labels, h.timestamp, floatHistogram: v)
                    }
                }
            } catch {
                invalid.append("\(s.labels): \(error)")
            }
        }
        // Known series (decoded without labels): by ref; by their interned labels only if the
        // head dropped the ref (the series went into a block).
        let interner = interners?.existing(tenant)
        for k in batch.known {
            var ref = k.ref
            for i in k.samples {
                let x = batch.knownSamples[i]
                do {
                    do { try app.append(ref: ref, x.timestamp, x.value) } catch HeadError.unknownSeriesRef {
                        guard let labels = interner?.labels(forKey: k.internKey) else {
                            throw ReceiveError.unavailable("series \(k.internKey) left the receiver's series table during the write; retry")
                        }
                        ref = try app.append(labels, x.timestamp, x.value)
                        learned.append((k.internKey, ref))
                    }
                } catch let e as ReceiveError {
                    app.rollback()
                    throw e
                } catch {
                    invalid.append("\(interner?.labels(forKey: k.internKey) ?? Labels()): \(error)")
                    break
                }
            }
        }
        interner?.setTags(learned)
        let result: AppendResult
        do { result = try app.commit() } catch {
            metrics.rejected(tenant: tenant, reason: "wal", samples: app.count)
            throw ReceiveError.internal("writing the WAL of tenant \(tenant) failed: \(error)")
        }
        metrics.appended(tenant: tenant, samples: result.appended)
        appendExemplars(batch, to: t)
        if !invalid.isEmpty {
            metrics.rejected(tenant: tenant, reason: "invalid", samples: invalid.count)
            throw ReceiveError.invalid("\(invalid.count) series refused; first: \(invalid[0])")
        }
        if result.rejectedTotal > 0 {
            for (reason, n) in result.rejected { metrics.rejected(tenant: tenant, reason: reason.rawValue, samples: n) }
            throw ReceiveError.conflict(Self.conflictMessage(result.rejected))
        }
    }

    /// `batch` with its known series turned back into series with labels (their interned
    /// ones), for when it must be routed after all: the hashrings changed after it was decoded
    /// for this receiver alone. A series no longer interned cannot be named: 503, Prometheus
    /// sends the request again.
    func withLabels(tenant: String, _ batch: WriteBatch) throws -> WriteBatch {
        var out = batch
        out.known = []
        out.knownSamples = []
        let interner = interners?.existing(tenant)
        for k in batch.known {
            guard let labels = interner?.labels(forKey: k.internKey) else {
                throw ReceiveError.unavailable("series \(k.internKey) left the receiver's series table before routing; retry")
            }
            var s = WriteSeries(labels: labels, samples: Array(batch.knownSamples[k.samples]))
            s.internKey = k.internKey
            s.internTag = k.ref
            out.series.append(s)
        }
        return out
    }

    /// Exemplars go to the tenant's ring once their samples are in (Prometheus appends both
    /// in one appender). A refused exemplar is counted, never an error of the write: Prometheus's
    /// receiver only logs out-of-order exemplars too.
    func appendExemplars(_ batch: WriteBatch, to t: TenantHeads.Tenant) {
        guard batch.exemplarCount > 0 else { return }
        var stored = 0
        var refused: [String: Int] = [:]
        for s in batch.series {
            for e in s.exemplars {
                guard t.exemplars.capacity > 0 else { refused["disabled", default: 0] += 1; continue }
                do {
                    if try t.exemplars.add(series: s.labels, .init(labels: e.labels, value: e.value, timestamp: e.timestamp)) { stored += 1 }
                } catch {
                    refused[error.rawValue, default: 0] += 1
                }
            }
        }
        metrics.exemplars(tenant: t.id, stored: stored, refused: refused)
    }

    /// Prometheus's error texts (`storage.ErrOutOfOrderSample`, …), most frequent first, with
    /// how many samples each refused.
    static func conflictMessage(_ rejected: [SampleRejection: Int]) -> String {
        rejected.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key.rawValue < $1.key.rawValue) }.map { reason, n in
            let text: String
            switch reason {
            case .outOfOrder: text = "out of order sample"
            case .tooOld: text = "out of bounds"
            case .duplicateTimestamp: text = "duplicate sample for timestamp"
            }
            return "\(text) (\(n) sample\(n == 1 ? "" : "s"))"
        }.joined(separator: "; ")
    }
}
