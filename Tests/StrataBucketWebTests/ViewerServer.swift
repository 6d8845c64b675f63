import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Prometheus
import StrataBucketWeb
import StrataObjStore
import StrataTestSupport
import Synchronization

/// `strata bucket web`'s service run in-process on 127.0.0.1 and a free port, stopped by
/// `stop()` (cancellation, as a stop signal would).
final class ViewerServer: Sendable {
    let service: BucketWebService
    let registry = PrometheusCollectorRegistry()
    let port: Int
    private let task: Task<Void, any Error>

    init(bucket: any Bucket, label: String? = nil, refresh: Duration = .seconds(1800), routePrefix: String = "") async throws {
        var options = BucketWebService.Options()
        options.httpAddress = "127.0.0.1:0"
        options.refresh = refresh
        options.timeout = .seconds(20)
        options.label = label
        options.routePrefix = routePrefix
        let service = BucketWebService(options: options, bucket: bucket, registry: registry, logger: Logger(label: "bucket.web"))
        let bound = Mutex<Int?>(nil)
        self.service = service
        task = Task { try await service.run { port in bound.withLock { $0 = port } } }
        let ready = await waitForAsync(30) { bound.withLock { $0 } != nil }
        guard ready, let p = bound.withLock({ $0 }) else { task.cancel(); throw MissingComponent(description: "the viewer did not start within 30s") }
        port = p
    }

    /// Body of `GET path` (nil when nothing answers or the status is not 200).
    func get(_ path: String) async -> String? {
        guard let u = URL(string: "http://127.0.0.1:\(port)" + path),
              let (data, response) = try? await URLSession.shared.data(for: URLRequest(url: u, timeoutInterval: 20)),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    var url: String { "http://127.0.0.1:\(port)/" }
}
