import NIOCore

/// Runs a task's jobs on one event loop: a wire call's task prefers the loop its connection is
/// served on, so the call starts in the turn that read it and its answer is written in the turn
/// that made it — no thread woken to hand the call to the cooperative pool and the answer back
/// (each hop a futex wake-up: about 40 µs on a small VM, a fifth of a trivial query). Parallel
/// work inside the call leaves the loop on purpose (`addTask(executorPreference:
/// globalConcurrentExecutor)`, `concurrentMap`), so one call's loop is not its only core.
final class EventLoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
