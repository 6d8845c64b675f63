import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Readiness flag shared by a service and its admin server's `/-/ready`.
public actor ReadyState {
    public private(set) var isReady = false
    public init() {}
    public func setReady() { isReady = true }
}

/// How every Strata service runs its pieces (the admin HTTP server, the service's own work)
/// as one ServiceGroup.
///
/// SIGTERM and SIGINT shut the group down gracefully rather than cancelling it: the HTTP
/// server stops accepting, finishes what is in flight and ends without logging errors, and
/// the work (wrapped by `work`) is cancelled, which each service handles as a clean stop. A
/// shutdown that takes longer than `maxShutdown` escalates to cancellation.
public enum ServiceRun {
    public static let stopSignals: [UnixSignal] = [.sigterm, .sigint]
    public static let maxShutdown: Duration = .seconds(15)

    /// A service's work, cancelled when the group shuts down gracefully.
    public static func work(_ body: @escaping @Sendable () async throws -> Void) -> ClosureService {
        ClosureService { try await cancelWhenGracefulShutdown(body) }
    }

    /// The group's configuration with the stop signals and shutdown bound set.
    public static func configuration(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) -> ServiceGroupConfiguration {
        var c = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: stopSignals, logger: logger)
        c.maximumGracefulShutdownDuration = maxShutdown
        return c
    }

    /// Runs `services` (e.g. the admin server, then `work`) until one ends or a stop signal.
    public static func run(_ services: [any Service], logger: Logger) async throws {
        try await ServiceGroup(configuration: configuration(services.map { .init(service: $0) }, logger: logger)).run()
    }
}

/// Runs Swift Concurrency's jobs on NIO's event loop threads (SwiftNIO's global executor
/// take-over): a request's handler, its gRPC calls and its answer then run where their
/// sockets are served instead of hopping between the cooperative pool and the event loops,
/// two thread wake-ups a hop. Call first thing in a service's `run`. Only for services whose
/// parallel CPU work goes through `concurrentMap` (Dispatch): NIO keeps a task's child tasks
/// on the loop that started them, so task-group parallelism (the store gateway reading its
/// blocks) would run on one thread.
public func runTasksOnEventLoops() {
    _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
