import Hummingbird

/// The viewer's HTTP routes, added to a service's admin server (`strata bucket web`, and
/// `strata-compact` on its `--http-address`): the page at `/`, the list at `/api/v1/blocks`
/// (Thanos's path and JSON shape) and the same list as a script for the page's first load.
/// `routePrefix` (`--web.route-prefix`, e.g. `/bucket`) puts all three under a path; the
/// admin endpoints (/metrics, /-/ready) stay at the root, where probes look for them.
public enum BucketWebRoutes {
    /// `bucket`, `/bucket/` → `/bucket`; empty or `/` → empty (the root).
    public static func normalizedPrefix(_ prefix: String) -> String {
        let trimmed = prefix.split(separator: "/").joined(separator: "/")
        return trimmed.isEmpty ? "" : "/" + trimmed
    }

    public static func add(to router: Router<BasicRequestContext>, state: BucketViewState, routePrefix: String = "") {
        let p = normalizedPrefix(routePrefix)
        router.get(RouterPath(p.isEmpty ? "/" : p)) { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: BucketWebPage.html)))
        }
        router.get(RouterPath(p + "/api/v1/blocks")) { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: state.json)))
        }
        // A script rather than JSON only so that the page's load event waits for the list:
        // see BucketWebPage. Same document, wrapped in the page's render call.
        router.get(RouterPath(p + "/api/v1/blocks.js")) { _, _ -> Response in
            var buf = ByteBuffer(string: "strataBucketView(")
            buf.writeBytes(state.json)
            buf.writeString(");\n")
            return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: buf))
        }
    }
}
