import Hummingbird
import StrataCore

/// Mounts the HTTP API and the web UI on a Hummingbird router. GET reads the URL query; POST
/// also reads an `application/x-www-form-urlencoded` body (Grafana posts long queries).
public enum QueryRoutes {
    /// Largest POST body accepted (long generated queries, many `match[]`).
    static let maxBody = 8 << 20

    public static func add(to router: Router<BasicRequestContext>, api: QueryAPI) {
        func both(_ path: RouterPath, _ handler: @escaping @Sendable (FormValues, BasicRequestContext) async -> APIResponse) {
            router.get(path) { req, ctx in response(await handler(try await form(req), ctx)) }
            router.post(path) { req, ctx in response(await handler(try await form(req), ctx)) }
        }
        both("/api/v1/query") { f, _ in await api.query(f) }
        both("/api/v1/query_range") { f, _ in await api.queryRange(f) }
        both("/api/v1/format_query") { f, _ in await api.formatQuery(f) }
        both("/api/v1/parse_query") { f, _ in await api.parseQuery(f) }
        both("/api/v1/series") { f, _ in await api.series(f) }
        both("/api/v1/labels") { f, _ in await api.labelNames(f) }
        router.get("/api/v1/label/:name/values") { req, ctx in
            response(await api.labelValues(ctx.parameters.get("name") ?? "", try await form(req)))
        }
        // The fleet: targets, metadata, exemplars, rules and alerts of every endpoint serving them.
        router.get("/api/v1/targets") { req, _ in response(await api.targets(try await form(req))) }
        router.get("/api/v1/metadata") { req, _ in response(await api.metadata(try await form(req))) }
        both("/api/v1/query_exemplars") { f, _ in await api.exemplars(f) }
        router.get("/api/v1/rules") { req, _ in response(await api.rules(try await form(req))) }
        router.get("/api/v1/alerts") { req, _ in response(await api.alerts(try await form(req))) }
        router.get("/api/v1/status/buildinfo") { _, _ in response(api.buildInfo()) }
        router.get("/api/v1/stores") { _, _ in response(await api.stores()) }
        router.get("/federate") { req, _ in
            let r = await api.federate(try await form(req), accept: req.headers[.accept])
            return Response(status: HTTPResponse.Status(code: r.status), headers: [.contentType: r.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: r.body)))
        }
        for (path, html) in [("/", WebUI.html), ("/stores", WebUIPages.stores), ("/targets", WebUIPages.targets),
                             ("/rules", WebUIPages.rules), ("/alerts", WebUIPages.alerts)] {
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
            }
        }
    }

    public static func form(_ request: Request) async throws -> FormValues {
        var request = request
        var f = FormValues(request.uri.query ?? "")
        if request.method == .post,
           request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") ?? false {
            let body = try await request.collectBody(upTo: maxBody)
            f.add(encoded: String(buffer: body))
        }
        return f
    }

    public static func response(_ r: APIResponse) -> Response {
        let pieces = r.pieces
        let buffers = concurrentMap(pieces.count) { ByteBuffer(bytes: pieces[$0]) }
        return Response(status: HTTPResponse.Status(code: r.status), headers: [.contentType: "application/json"],
                        body: buffers.count == 1 ? .init(byteBuffer: buffers[0]) : .init(contentsOf: buffers))
    }
}
