import Dispatch
import Foundation

/// `(0..<count).map(transform)`, spread over the cores in contiguous slices when `parallel`
/// and there are enough items; the results come back in index order either way. For work
/// that is independent per item and large (decoding a query's series, sliding windows over
/// them): the caller decides with `parallel` whether the total is worth the hand-off.
///
/// Inlinable so each caller gets it specialized for its `T`: generic, the results' array was
/// built and copied through runtime metadata lookups per element (3 % of a store's CPU on an
/// instant `rate`).
@inlinable
public func concurrentMap<T: Sendable>(_ count: Int, parallel: Bool = true, _ transform: @Sendable (Int) -> T) -> [T] {
    let workers = activeCores
    guard parallel, workers > 1, count >= 2 * workers else { return (0..<count).map(transform) }
    // A few slices per core, so one slow slice does not leave the other cores idle.
    let slices = min(count, workers * 4)
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        let shared = UncheckedSendable(buffer)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            for i in (slice * count / slices)..<((slice + 1) * count / slices) {
                (shared.value.baseAddress! + i).initialize(to: transform(i))
            }
        }
        initialized = count
    }
}

/// The cores this process may use, read once: on Linux `activeProcessorCount` opens and
/// reads the cgroup's CPU quota files on every call — 6 % of a store gateway's CPU on small
/// queries, where `concurrentMap` asks twice per query. (A quota changed while running is
/// seen after a restart, as Go's GOMAXPROCS.)
public let activeCores = ProcessInfo.processInfo.activeProcessorCount

/// A value handed to parallel workers that the compiler cannot prove safe to share, e.g. a
/// buffer whose disjoint slices the workers write.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
