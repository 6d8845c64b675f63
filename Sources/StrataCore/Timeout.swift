import Foundation
import Synchronization

/// The operation did not finish within its time limit.
public struct TimeoutError: Error, CustomStringConvertible, Sendable {
    public let limit: Duration
    public init(limit: Duration) { self.limit = limit }
    public var description: String { "timed out after \(limit)" }
}

/// The time by which the current operation must be done, as set by `withTimeout` for the task
/// and every task it starts. Calls made inside it need no deadline of their own (a gRPC call
/// with a timeout starts a timer task on both ends of the connection).
public enum TaskDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// True when the enclosing `withTimeout` ends no later than `limit` from now.
    public static func covers(_ limit: Duration) -> Bool {
        guard let d = current else { return false }
        return d <= ContinuousClock.now.advanced(by: limit)
    }
}

/// Runs `body`, cancelling it and throwing `TimeoutError` when it takes longer than `limit`.
/// The body runs in one task cancelled by `Watchdog.shared` at the deadline: a time limit
/// costs a lock and a heap insertion, not a sleeping timer task woken and cancelled on every
/// call. Returns what `body` returned if it finished, even as the limit passed.
public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now.advanced(by: limit)
    let task = Task { try await TaskDeadline.$current.withValue(deadline) { try await body() } }
    let ticket = Watchdog.shared.cancel(task, at: deadline)
    defer { Watchdog.shared.withdraw(ticket) }
    return try await withTaskCancellationHandler {
        do { return try await task.value } catch { throw ticket.fired ? TimeoutError(limit: limit) : error }
    } onCancel: { task.cancel() }
}

/// One thread that cancels tasks when their deadline passes (see `withTimeout`). It sleeps
/// until the earliest deadline, or a second when it has none; a new deadline wakes it only
/// when it comes earlier than the planned wake-up.
public final class Watchdog: @unchecked Sendable {
    public static let shared = Watchdog()

    /// One registration: `fired` once the watchdog cancelled it.
    public final class Ticket: Sendable {
        let id: UInt64
        let fireFlag = Atomic<Bool>(false)
        public var fired: Bool { fireFlag.load(ordering: .acquiring) }
        init(id: UInt64) { self.id = id }
    }

    private struct Entry {
        let ticket: Ticket
        let cancel: @Sendable () -> Void
    }

    private let condition = NSCondition()
    // Guarded by `condition`. The heap keeps withdrawn deadlines until they come up (or a
    // compaction); `live` says which still count.
    private var heap: [(deadline: ContinuousClock.Instant, id: UInt64)] = []
    private var live: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 0
    private var plannedWake = ContinuousClock.now
    private var started = false

    /// Cancels `task` at `deadline` unless withdrawn first.
    public func cancel<S, F>(_ task: Task<S, F>, at deadline: ContinuousClock.Instant) -> Ticket {
        condition.lock()
        defer { condition.unlock() }
        if !started {
            started = true
            let t = Thread { [self] in run() }
            t.name = "strata-watchdog"
            t.start()
        }
        nextID &+= 1
        let ticket = Ticket(id: nextID)
        live[ticket.id] = Entry(ticket: ticket, cancel: { task.cancel() })
        push(deadline, ticket.id)
        if deadline < plannedWake { condition.signal() }
        return ticket
    }

    /// The task finished: its deadline no longer counts.
    public func withdraw(_ ticket: Ticket) {
        condition.lock()
        defer { condition.unlock() }
        live[ticket.id] = nil
        // Withdrawn deadlines pile up when limits are long and calls short: rebuild the heap
        // from the live ones when they are the minority.
        if heap.count > 64 && heap.count > 4 * live.count {
            let kept = heap.filter { live[$0.id] != nil }
            heap = []
            for e in kept { push(e.deadline, e.id) }
        }
    }

    private func run() {
        condition.lock()
        while true {
            let now = ContinuousClock.now
            var due: [Entry] = []
            while let top = heap.first, top.deadline <= now {
                popFirst()
                if let e = live.removeValue(forKey: top.id) { due.append(e) }
            }
            if !due.isEmpty {
                condition.unlock()
                for e in due {
                    e.ticket.fireFlag.store(true, ordering: .releasing)
                    e.cancel()
                }
                condition.lock()
                continue
            }
            plannedWake = heap.first?.deadline ?? now.advanced(by: .seconds(1))
            let wait = now.duration(to: plannedWake)
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18))
        }
    }

    private func push(_ deadline: ContinuousClock.Instant, _ id: UInt64) {
        GoHeap.push(&heap, (deadline, id)) { $0.deadline < $1.deadline }
    }

    private func popFirst() {
        _ = GoHeap.pop(&heap) { $0.deadline < $1.deadline }
    }
}
