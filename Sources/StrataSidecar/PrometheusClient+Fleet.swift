import StrataCore
import StrataStoreAPI

/// The Prometheus HTTP API behind the sidecar's Targets, Metadata, Exemplars and Rules
/// services, asked with the parameters Thanos's sidecar passes on (promclient's `…InGRPC`).
/// Errors are `StoreError`s so that the gRPC status says whose fault it was: a query
/// Prometheus rejects (400) is the caller's, anything else Prometheus's.
extension PrometheusClient {
    /// `/api/v1/targets`; `state` is "", "active" or "dropped".
    public func targets(state: String) async throws -> JSONValue {
        try await fleetData("/api/v1/targets", state.isEmpty ? [] : [("state", state)])
    }

    /// `/api/v1/metadata`; a negative `limit` is none (Prometheus's default).
    public func metadata(metric: String, limit: Int) async throws -> JSONValue {
        var q: [(String, String)] = []
        if !metric.isEmpty { q.append(("metric", metric)) }
        if limit >= 0 { q.append(("limit", String(limit))) }
        return try await fleetData("/api/v1/metadata", q)
    }

    /// `/api/v1/query_exemplars` over [start, end] (ms). A query without selectors gets
    /// Prometheus's 204 No Content: no exemplars.
    public func exemplars(query: String, start: Int64, end: Int64) async throws -> JSONValue {
        try await fleetData("/api/v1/query_exemplars", [("query", query), ("start", secs(start)), ("end", secs(end))])
    }

    /// `/api/v1/rules`; `type` is "", "alert" or "record".
    public func rules(type: String) async throws -> JSONValue {
        try await fleetData("/api/v1/rules", type.isEmpty ? [] : [("type", type)])
    }

    func fleetData(_ path: String, _ query: [(String, String)]) async throws -> JSONValue {
        let (status, body): (UInt, [UInt8])
        do {
            let r = try await get(path, query: query)
            (status, body) = (r.0.code, r.1)
        } catch {
            throw StoreError.unavailable("Prometheus \(baseURL)\(path): \(error)")
        }
        if status == 204 { return .array([]) }
        let v = try? JSONValue(parsing: body)
        guard status == 200, let v, v["status"]?.stringValue == "success", let data = v["data"] else {
            let msg = v?["error"]?.stringValue ?? String(decoding: body.prefix(200), as: UTF8.self)
            let text = "Prometheus \(path): \(status) \(msg)"
            throw status == 400 || status == 422 ? StoreError.invalidArgument(text) : StoreError.unavailable(text)
        }
        return data
    }
}
