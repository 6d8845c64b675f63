import Foundation
import Metrics
import StrataBucket
import StrataCore
import Synchronization

/// The viewer's current answer, shared by whatever syncs the bucket (the refresh loop of
/// `strata bucket web`, the compactor's pass) and the HTTP handlers.
///
/// A failed sync keeps the last good view: an operator looking at the page while the object
/// store is down still sees the blocks, with the error and its time on top of the page, and
/// `strata_bucket_web_sync_failures_total` counts the failures for alerting.
public final class BucketViewState: Sendable {
    private struct State {
        var view: BucketView?
        var refreshedAt: Date?
        var error: String?
        var errorAt: Date?
        var failures = 0
        /// The JSON answer, encoded once per sync rather than once per request.
        var encoded: [UInt8] = []
    }

    /// The external label whose value titles a group (`--label`); nil: all labels.
    public let titleLabel: String?
    /// Shown while no sync has finished yet (e.g. the compactor waiting for its lock).
    public let pendingMessage: String
    private let state = Mutex(State())
    private let syncs: Counter
    private let failures: Counter

    public init(titleLabel: String? = nil, pendingMessage: String = "the bucket has not been read yet",
                factory: any MetricsFactory = MetricsSystem.factory) {
        self.titleLabel = titleLabel
        self.pendingMessage = pendingMessage
        syncs = Counter(label: "strata_bucket_web_syncs_total", factory: factory)
        failures = Counter(label: "strata_bucket_web_sync_failures_total", factory: factory)
        state.withLock { $0.encoded = Self.encode($0, label: titleLabel, pending: pendingMessage) }
    }

    /// A finished sync: the new view replaces the old one and clears the error.
    public func record(_ snapshot: BlockMetaFetcher.Snapshot, at now: Date = Date()) {
        let view = BucketView(snapshot: snapshot, titleLabel: titleLabel)
        syncs.increment()
        state.withLock { s in
            s.view = view
            s.refreshedAt = now
            s.error = nil
            s.errorAt = nil
            s.encoded = Self.encode(s, label: titleLabel, pending: pendingMessage)
        }
    }

    /// A failed sync: the last good view stays, with the error next to it.
    public func recordFailure(_ error: any Error, at now: Date = Date()) {
        failures.increment()
        state.withLock { s in
            s.error = "\(error)"
            s.errorAt = now
            s.failures += 1
            s.encoded = Self.encode(s, label: titleLabel, pending: pendingMessage)
        }
    }

    /// The compactor's sync hook: success or failure of one fetch of the bucket's metas. A
    /// fetch cancelled by a stop signal says nothing about the bucket and is not recorded.
    public func record(_ result: Result<BlockMetaFetcher.Snapshot, any Error>) {
        switch result {
        case .success(let snap): record(snap)
        case .failure(let error) where error is CancellationError: return
        case .failure(let error): recordFailure(error)
        }
    }

    /// The body of `/api/v1/blocks`.
    public var json: [UInt8] { state.withLock { $0.encoded } }

    /// The current view (nil before the first good sync).
    public var view: BucketView? { state.withLock { $0.view } }

    private static func encode(_ s: State, label: String?, pending: String) -> [UInt8] {
        var data = BucketViewJSON.data(s.view, label: label ?? "", refreshedAt: s.refreshedAt)
        data.append(JSONMember("err", s.error.map { .string($0) } ?? .null))
        data.append(JSONMember("pending", s.view == nil ? .string(pending) : .null))
        data.append(JSONMember("errAt", s.errorAt.map { .string(formatRFC3339(Int64($0.timeIntervalSince1970 * 1000))) } ?? .null))
        data.append(JSONMember("syncFailures", .int(Int64(s.failures))))
        let body = JSONValue.object([JSONMember("status", .string("success")), JSONMember("data", .object(data))])
        return Array(body.serialized().utf8)
    }
}
