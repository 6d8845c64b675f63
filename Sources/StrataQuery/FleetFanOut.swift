import StrataCore
import StrataStoreAPI
import SwiftProtobuf
import Synchronization

/// One request of the Targets, Metadata, Exemplars or Rules API fanned out to the endpoints
/// that serve it, in parallel. Each endpoint's call is bounded by `timeout` (`--query.timeout`):
/// a slow or hung endpoint cannot hold the answer back. An endpoint that fails, times out,
/// sends something unreadable or failed its last Info becomes a warning when partial
/// responses are allowed, the request's error otherwise — as for the Store API (`FanOut`).
/// Every frame received counts against `byteBudget`: a fleet whose targets or metadata do not
/// fit is refused with an error naming the flag, instead of growing the querier without bound.
final class FleetFanOut: Sendable {
    struct Options: Sendable {
        var partialResponse: Bool
        var timeout: Duration
        /// Bytes of frames one request may gather from all endpoints; 0 is unlimited.
        var byteBudget: Int
    }

    /// The answers of all endpoints exceeded the byte budget.
    struct TooLarge: Error, CustomStringConvertible {
        let description: String
    }

    let options: Options
    let warningList = Mutex<[String]>([])
    let received = Atomic<Int>(0)

    init(options: Options) { self.options = options }

    var warnings: [String] { warningList.withLock { $0 } }

    var strategy: Thanos_PartialResponseStrategy { options.partialResponse ? .warn : .abort }

    func warn(_ w: String) { warningList.withLock { if !$0.contains(w) { $0.append(w) } } }

    /// Calls `call` on each endpoint; `call` streams frames to the closure it is given, which
    /// returns the frame's data or nil for a warning frame (whose text it passes on through
    /// `warning`). Returns each answering endpoint's data in endpoint order, so that merged
    /// answers do not depend on which endpoint was fastest.
    func collect<Frame: SwiftProtobuf.Message, Item: Sendable>(
        _ endpoints: [EndpointStatus], _ what: String,
        call: @escaping @Sendable (EndpointStatus, _ onFrame: @escaping @Sendable (Frame) async throws -> Void) async throws -> Void,
        item: @escaping @Sendable (Frame) -> (item: Item?, warning: String?)
    ) async throws -> [[Item]] {
        let partial = options.partialResponse, timeout = options.timeout, budget = options.byteBudget
        let results = try await withThrowingTaskGroup(of: (Int, [Item]?).self) { group in
            for (index, e) in endpoints.enumerated() {
                group.addTask {
                    let items = try await FanOut.guarded(e, "\(what) from \(e.name)", partial: partial, warn: self.warn,
                                                         passing: { $0 is TooLarge }) {
                        let items = Mutex<[Item]>([])
                        try await withTimeout(timeout) {
                            try await call(e) { frame in
                                let size = (try? frame.serializedBytes() as [UInt8])?.count ?? 0
                                let total = self.received.add(size, ordering: .relaxed).newValue
                                if budget > 0 && total > budget {
                                    throw TooLarge(description: "the \(what) of the endpoints exceed \(formatByteSize(budget)) (--query.fleet-max-bytes): ask for less (a filter, a limit) or raise the limit")
                                }
                                let (data, warning) = item(frame)
                                if let warning { self.warn(warning) }
                                if let data { items.withLock { $0.append(data) } }
                            }
                        }
                        return items.withLock { $0 }
                    }
                    return (index, items)
                }
            }
            var out: [(Int, [Item])] = []
            for try await (i, items) in group { if let items { out.append((i, items)) } }
            return out
        }
        return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
