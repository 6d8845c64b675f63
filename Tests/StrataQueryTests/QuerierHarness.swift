import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Prometheus
import StrataCore
import StrataPromQL
import StrataQuery
import StrataServer
import StrataStoreAPI
import StrataTestSupport
import Synchronization

/// A querier running in-process on real sockets: each store served over gRPC on 127.0.0.1,
/// the querier's HTTP API on a free port. `stop` (or leaving `with`) shuts everything down.
/// `pushdown`: the stores also serve Thanos's Query API (e.g. `StorePushdownAPI.factory()`),
/// so the querier pushes aggregations down to them (otherwise it selects raw series).
final class QuerierHarness: Sendable {
    let servers: [GRPCStoreServer]
    let storePorts: [Int]
    let httpPort: Int
    let task: Task<Void, any Error>

    static func with<T: Sendable>(stores: [any StoreClient], pushdown: PushdownAPIFactory? = nil,
                                  configure: (inout QuerierService.Config) -> Void = { _ in },
                                  _ body: (QuerierHarness) async throws -> T) async throws -> T {
        let h = try await QuerierHarness.start(stores: stores, pushdown: pushdown, configure: configure)
        do {
            let r = try await body(h)
            await h.stop()
            return r
        } catch {
            await h.stop()
            throw error
        }
    }

    static func start(stores: [any StoreClient], pushdown: PushdownAPIFactory? = nil,
                      configure: (inout QuerierService.Config) -> Void) async throws -> QuerierHarness {
        var servers: [GRPCStoreServer] = []
        var ports: [Int] = []
        for s in stores {
            let server = GRPCStoreServer(store: s, host: "127.0.0.1", port: 0,
                                         apis: FleetAPIs(pushdown: pushdown))
            Task { try await server.serve() }
            ports.append(try await server.boundPort())
            servers.append(server)
        }
        var config = QuerierService.Config()
        config.httpAddress = "127.0.0.1:\(try freePort())"
        config.grpcAddress = "127.0.0.1:0"
        config.endpoints = ports.map { "127.0.0.1:\($0)" }
        config.endpointInterval = .milliseconds(300)
        // The tests compare with a real Prometheus 2.42 (or with answers written from it).
        config.api.promqlCompat = .v2_42
        configure(&config)
        let port = try AdminServer.parseAddress(config.httpAddress).port
        let service = QuerierService(config: config, registry: PrometheusCollectorRegistry(), logger: Logger(label: "test-query"))
        let task = Task { try await service.run() }
        let h = QuerierHarness(servers: servers, storePorts: ports, httpPort: port, task: task)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if await httpStatusAsync(port: port, path: "/-/ready") == 200 { return h }
            try await Task.sleep(for: .milliseconds(100))
        }
        await h.stop()
        throw HarnessError(description: "querier did not become ready within 30 s")
    }

    private init(servers: [GRPCStoreServer], storePorts: [Int], httpPort: Int, task: Task<Void, any Error>) {
        self.servers = servers
        self.storePorts = storePorts
        self.httpPort = httpPort
        self.task = task
    }

    var url: String { "http://127.0.0.1:\(httpPort)" }

    func get(_ pathAndQuery: String) async throws -> String { try await PromQLDifferential.get(url + pathAndQuery) }

    /// GET returning the decoded JSON object and the HTTP status.
    func json(_ pathAndQuery: String) async throws -> (Int, [String: Any]) {
        let (data, resp) = try await URLSession.shared.data(from: URL(string: url + pathAndQuery)!)
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return ((resp as? HTTPURLResponse)?.statusCode ?? 0, obj)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        for s in servers { s.shutdown() }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
}

/// Counts the Query API calls of the stores it wraps (and can make them fail), to see what
/// the querier pushed down.
final class PushdownProbe: Sendable {
    let calls = Mutex<[String]>([])
    /// Series with native histograms the stores answered with.
    let histogramSeries = Mutex(0)
    /// The stores' evaluation errors.
    let failures = Mutex<[String]>([])
    let failing: Bool

    init(failing: Bool = false) { self.failing = failing }

    var queries: [String] { calls.withLock { $0 } }

    var factory: PushdownAPIFactory {
        let inner = StorePushdownAPI.factory()
        return { store in Wrapped(inner: inner(store), probe: self) }
    }

    func count(_ frame: Thanos_QueryRangeResponse) {
        var series = frame.timeseriesBatch.series
        if case .timeseries(let ts)? = frame.result { series.append(ts) }
        histogramSeries.withLock { $0 += series.filter { !$0.histograms.isEmpty }.count }
    }

    struct Wrapped: PushdownAPI {
        let inner: any PushdownAPI
        let probe: PushdownProbe

        func queryRange(_ request: Thanos_QueryRangeRequest,
                        onResponse: @escaping @Sendable (Thanos_QueryRangeResponse) async throws -> Void) async throws {
            probe.calls.withLock { $0.append(request.query) }
            if probe.failing { throw StoreError.internal("injected pushdown failure") }
            try await inner.queryRange(request) { frame in
                probe.count(frame)
                try await onResponse(frame)
            }
        }

        /// As a store answers its wire: float series as label sets and columns.
        func queryRangeAnswers(_ request: Thanos_QueryRangeRequest,
                               onAnswer: @escaping @Sendable (PushdownAnswer) async throws -> Void) async throws {
            probe.calls.withLock { $0.append(request.query) }
            if probe.failing { throw StoreError.internal("injected pushdown failure") }
            do {
                try await inner.queryRangeAnswers(request) { answer in
                    if case .message(let frame) = answer { probe.count(frame) }
                    try await onAnswer(answer)
                }
            } catch {
                probe.failures.withLock { $0.append("\(error)") }
                throw error
            }
        }
    }
}
