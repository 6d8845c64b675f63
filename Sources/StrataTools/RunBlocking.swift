import Dispatch
import Synchronization

/// Runs async work from a synchronous `ParsableCommand.run()`.
///
/// The root `StrataCommand` is a synchronous `ParsableCommand` called with `main()`, and
/// ArgumentParser refuses async subcommands under a synchronous root. Blocking the main
/// thread is safe here: the work runs on the global executor and NIO's event loops, never
/// on the main thread. If the root becomes `AsyncParsableCommand`, this can go.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        box.result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try box.result.withLock { $0! }.get()
}

/// Hands the result from the task back to the blocked thread.
private final class ResultBox<T: Sendable>: Sendable {
    let result = Mutex<Result<T, any Error>?>(nil)
}
