import Foundation
import StrataCore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// `strata-sidecar` as an operator runs it, next to a real Prometheus 2.42.
@Suite(.serialized) struct SidecarProcessTests {
    func startSidecar(_ args: [String]) throws -> (Process, String) { try startService("strata-sidecar", args) }

    @Test func shipsBlocksServesStoreAPIAndStopsOnSIGTERM() async throws {
        guard let prom = try PrometheusServer.start(blocks: try TestEnv.promBlocks(), externalLabels: ["cluster": "c1", "replica": "a"]) else { return }
        defer { prom.stop() }
        let bucketDir = TestEnv.tempDir("sidecar-bucket")
        let (httpPort, grpcPort) = (try freePort(), try freePort())
        let (p, log) = try startSidecar([
            "--tsdb.path", prom.dataDir, "--prometheus.url", prom.url,
            "--grpc-address", "127.0.0.1:\(grpcPort)", "--http-address", "127.0.0.1:\(httpPort)",
            "--objstore.config", "type: FILESYSTEM\nconfig:\n  directory: \(bucketDir)\n",
        ])
        defer { if p.isRunning { p.terminate() } }
        #expect(waitFor(60) { httpStatus(port: httpPort, path: "/-/ready") == 200 }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(httpStatus(port: httpPort, path: "/-/healthy") == 200)
        let shipped = waitFor(60) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: bucketDir)) ?? []
            return names.filter { FileManager.default.fileExists(atPath: bucketDir + "/" + $0 + "/meta.json") }.count == 4
        }
        #expect(shipped)
        for name in try FileManager.default.contentsOfDirectory(atPath: bucketDir) {
            let m = try BlockMeta.read(dir: bucketDir + "/" + name)
            #expect(m.thanos?.labels == ["cluster": "c1", "replica": "a"] && m.thanos?.source == "sidecar")
        }
        #expect(FileManager.default.fileExists(atPath: prom.dataDir + "/thanos.shipper.json"))
        // Store API over gRPC, answered through remote read.
        let client = try GRPCStoreClient(target: "127.0.0.1:\(grpcPort)", timeout: .seconds(30))
        let info = try await client.info()
        #expect(info.componentType == "sidecar")
        #expect(info.labelSets.map { Labels(proto: $0.labels) } == [Labels(["cluster": "c1", "replica": "a"])])
        var req = Thanos_SeriesRequest()
        req.minTime = 0
        req.maxTime = 4_000_000_000_000
        req.matchers = try SeriesSelector.parse(#"{job="db"}"#).map(\.proto)
        let counter = SeriesCounter()
        try await client.series(req) { r in if case .series? = r.result { counter.add() } }
        #expect(counter.value == 3)
        client.close()
        // Metrics: uploads counted.
        #expect(httpStatus(port: httpPort, path: "/metrics") == 200)
        p.terminate()
        #expect(waitFor(20) { !p.isRunning })
        #expect(p.terminationStatus == 0 || p.terminationReason == .exit)
    }

    @Test func refusesPrometheusWithoutExternalLabels() throws {
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: [:]) else { return }
        defer { prom.stop() }
        let (p, log) = try startSidecar(["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url,
                                         "--grpc-address", "127.0.0.1:\(try freePort())", "--http-address", "127.0.0.1:\(try freePort())"])
        #expect(waitFor(60) { !p.isRunning })
        if p.isRunning { p.terminate() }
        #expect(p.terminationStatus != 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("no external labels"), "\(text)")
    }
}

final class SeriesCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
