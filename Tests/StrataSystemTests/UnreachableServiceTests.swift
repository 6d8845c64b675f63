import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataTestSupport
import Testing

/// Services say when their object store cannot be reached: `/-/ready` answers 503 naming the
/// endpoint and the cause, `strata_objstore_reachable` is 0, and each retry is logged at warn
/// with endpoint, operation, attempt and cause; once the store answers again, ready and 1.
@Suite(.serialized) struct UnreachableServiceTests {
    static func objstore(port: Int, bucket: String = "chaos") -> String {
        "--objstore.config=type: S3\nconfig: {bucket: \(bucket), endpoint: \"127.0.0.1:\(port)\", insecure: true, bucket_lookup_type: path, access_key: k, secret_key: s}"
    }

    /// Status and body of `GET path` (URLSession: the in-process fault proxy needs the
    /// cooperative threads a blocking socket read would hold).
    static func get(_ port: Int, _ path: String) async -> (Int?, String) {
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        req.timeoutInterval = 3
        guard let (data, resp) = try? await URLSession.shared.data(for: req) else { return (nil, "") }
        return ((resp as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
    }

    static func ready(_ port: Int) async -> (Int?, String) { await get(port, "/-/ready") }

    /// The value of `strata_objstore_reachable` on /metrics.
    static func gaugeValue(_ port: Int) async -> Double? {
        let m = await get(port, "/metrics").1
        return m.split(separator: "\n").first { $0.hasPrefix("strata_objstore_reachable") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// Waits until `/-/ready` is 503 naming the endpoint and the gauge reads 0.
    static func reportsUnreachable(_ p: ChaosProcess, http: Int, endpoint: String, cause: String) async -> String? {
        var last = ""
        let ok = await waitForAsync(30) {
            let (status, body) = await ready(http)
            let g = await gaugeValue(http)
            last = "ready \(status.map(String.init) ?? "none"): \(body) gauge \(g.map { "\($0)" } ?? "none")"
            return status == 503 && body.contains("object storage unreachable") && body.contains(endpoint) && body.contains(cause) && g == 0
        }
        return ok ? nil : "port \(http): \(last)\n\(p.logText.suffix(1500))"
    }

    @Test(.timeLimit(.minutes(2))) func compactorAndSidecarReportARefusedEndpoint() async throws {
        let closed = try freePort()
        let compactHTTP = try freePort()
        let compact = try ChaosProcess("strata-compact", [Self.objstore(port: closed), "--data-dir", TestEnv.tempDir("unreach-compact"),
                                                          "--lock.wait", "--http-address", "127.0.0.1:\(compactHTTP)"])
        defer { compact.killIfRunning() }
        let problem = await Self.reportsUnreachable(compact, http: compactHTTP, endpoint: "127.0.0.1:\(closed)", cause: "connection refused")
        #expect(problem == nil, "strata-compact: \(problem ?? "")")
        let warn = compact.logText.split(separator: "\n").first { $0.contains("level=warn") && $0.contains("retrying") } ?? ""
        #expect(warn.contains("endpoint=127.0.0.1:\(closed)") && warn.contains("operation=") && warn.contains("attempt=") && warn.contains("err="), "\(warn)")

        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1"]) else { return }
        defer { prom.stop() }
        let sidecarHTTP = try freePort()
        let sidecar = try ChaosProcess("strata-sidecar", ["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url, Self.objstore(port: closed),
                                                          "--grpc-address", "127.0.0.1:\(try freePort())", "--http-address", "127.0.0.1:\(sidecarHTTP)"])
        defer { sidecar.killIfRunning() }
        let p2 = await Self.reportsUnreachable(sidecar, http: sidecarHTTP, endpoint: "127.0.0.1:\(closed)", cause: "connection refused")
        #expect(p2 == nil, "strata-sidecar: \(p2 ?? "")")
    }

    /// Every connection dropped (no answer at all): unready after a few attempts, ready again
    /// once the store answers.
    @Test(.timeLimit(.minutes(2))) func storeReportsDroppedConnectionsAndRecovers() async throws {
        let plan = FaultPlan(rates: FaultRates(dropBefore: 1), seed: 1)
        guard let s3 = try await ChaosS3.start(plan: plan) else { return }
        let http = try freePort()
        let store = try ChaosProcess("strata-store", [s3.objstoreFlag, "--data-dir", TestEnv.tempDir("unreach-store"),
                                                      "--grpc-address", "127.0.0.1:\(try freePort())", "--http-address", "127.0.0.1:\(http)"])
        let problem = await Self.reportsUnreachable(store, http: http, endpoint: "127.0.0.1:\(s3.proxy.port)", cause: "iter")
        #expect(problem == nil, "strata-store: \(problem ?? "")")
        plan.setEnabled(false)
        var last = ""
        let back = await waitForAsync(40) {
            let (status, body) = await Self.ready(http)
            let g = await Self.gaugeValue(http)
            last = "\(status.map(String.init) ?? "none") \(body) \(g.map { "\($0)" } ?? "")"
            return status == 200 && g == 1
        }
        #expect(back, "not ready again: \(last)\n\(store.logText.suffix(1500))")
        store.killIfRunning()
        await s3.stop()
    }
}
