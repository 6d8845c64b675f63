import Hummingbird
import Logging
import StrataPromQL
import StrataQuery

/// The ruler's own HTTP API: `/api/v1/rules` and `/api/v1/alerts` in Prometheus's JSON (the
/// same filters and writer as the querier's), and `POST /-/reload`, which answers 500 with
/// the rule file error when the new files are refused (the running rules stay).
enum RuleRoutes {
    static func add(to router: Router<BasicRequestContext>, manager: RuleManager, logger: Logger) {
        router.get("/api/v1/rules") { req, _ -> Response in
            let form = try await QueryRoutes.form(req)
            do {
                let filter = try RulesFilter(form: form, compat: .v3_14)
                let exclude = try RulesFilter.excludeAlerts(form)
                let groups = filter.apply(await manager.snapshot())
                return QueryRoutes.response(.success(RulesJSON.rules(groups, excludeAlerts: exclude)))
            } catch {
                return QueryRoutes.response(.failure(APIError.from(error)))
            }
        }
        router.get("/api/v1/alerts") { _, _ -> Response in
            var filter = RulesFilter()
            filter.type = .alert
            return QueryRoutes.response(.success(RulesJSON.alerts(filter.apply(await manager.snapshot()))))
        }
        router.post("/-/reload") { _, _ -> Response in
            do {
                try await manager.reload()
                return Response(status: .ok)
            } catch {
                logger.error("reloading the rule files failed; the running rules stay", metadata: ["err": "\(error)"])
                return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "\(error)\n")))
            }
        }
    }
}
