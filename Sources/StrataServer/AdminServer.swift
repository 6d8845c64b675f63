import Hummingbird
import Logging
import Metrics
import Prometheus
import StrataCore
import StrataSecurity

/// The HTTP endpoints every Strata service has on `--http-address`: `/metrics` (Prometheus
/// text format), `/-/healthy` (the process is up) and `/-/ready` (503 until the service says
/// it can serve, or while `notReadyReason` gives a reason, shown in the body). Services add
/// their own routes through `routes`. `web` (`--http.config`) adds TLS, basic auth and
/// headers to all of them; answers are gzipped for clients that ask (`CompressionMiddleware`).
public enum AdminServer {
    public typealias App = Application<RouterResponder<BasicRequestContext>>

    /// Splits `host:port` (`:port` and `0.0.0.0:port` accepted).
    public static func parseAddress(_ s: String) throws -> (host: String, port: Int) {
        guard let (host, port) = HostPort.split(s) else {
            throw ConfigError("address must be host:port, got \"\(s)\"")
        }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    public static func application(address: String, registry: PrometheusCollectorRegistry, logger: Logger,
                                   web: WebConfig? = nil,
                                   ready: @escaping @Sendable () async -> Bool,
                                   notReadyReason: @escaping @Sendable () async -> String? = { nil },
                                   routes: (Router<BasicRequestContext>) -> Void = { _ in },
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> App {
        try plainApplication(address: address, logger: logger, web: web, onRunning: onRunning) { router in
            adminRoutes(router, registry: registry, ready: ready, notReadyReason: notReadyReason)
            routes(router)
        }
    }

    /// A server with only the given routes, under the same web config (TLS, basic auth,
    /// headers): a second port of a service, such as the receiver's remote-write address.
    public static func plainApplication(address: String, logger: Logger, web: WebConfig? = nil,
                                        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
                                        routes: (Router<BasicRequestContext>) -> Void) throws -> App {
        let (host, port) = try parseAddress(address)
        let router = Router()
        if let web, !web.users.isEmpty || !web.headers.isEmpty {
            router.add(middleware: WebSecurityMiddleware(users: BasicAuthUsers(users: web.users), headers: web.headers))
        }
        router.add(middleware: CompressionMiddleware())
        routes(router)
        return Application(router: router, server: try web?.serverBuilder(logger: logger) ?? .http1(),
                           configuration: .init(address: .hostname(host, port: port), serverName: nil),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    static func adminRoutes(_ router: Router<BasicRequestContext>, registry: PrometheusCollectorRegistry,
                            ready: @escaping @Sendable () async -> Bool,
                            notReadyReason: @escaping @Sendable () async -> String?) {
        router.get("/metrics") { _, _ -> Response in
            var body = [UInt8]()
            registry.emit(into: &body)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/-/healthy") { _, _ in "OK\n" }
        // A reason (an unreachable object store) makes the service unready whatever `ready`
        // says, and is shown, so a probe's log tells the operator what is wrong.
        router.get("/-/ready") { _, _ -> Response in
            let reason = await notReadyReason()
            let ok = await ready() && reason == nil
            let text = ok ? "OK\n" : "not ready" + (reason.map { ": \($0)" } ?? "") + "\n"
            return Response(status: ok ? .ok : .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Installs a Prometheus-backed metrics system for the process (call once, from a main)
    /// and returns its registry for `/metrics`.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
