/// A counting semaphore for async code: at most `limit` holders, the rest wait in order.
/// Bounds concurrent queries (`--query.max-concurrent`) and per-query selects
/// (`--query.max-concurrent-select`). A cancelled waiter gives up its turn.
public actor AsyncSemaphore {
    let limit: Int
    private var held = 0
    private var waiters: [(id: Int, cont: CheckedContinuation<Void, any Error>)] = []
    private var nextID = 0

    public init(limit: Int) { self.limit = max(1, limit) }

    public func acquire() async throws {
        if held < limit && waiters.isEmpty {
            held += 1
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    c.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, c))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: Int) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: i).cont.resume(throwing: CancellationError())
    }

    public func release() {
        if waiters.isEmpty {
            held -= 1
        } else {
            waiters.removeFirst().cont.resume()
        }
    }

    /// Runs `body` holding one permit.
    public nonisolated func with<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let v = try await body()
            await release()
            return v
        } catch {
            await release()
            throw error
        }
    }

    public var waiting: Int { waiters.count }
}
