import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Logging
import Prometheus
import StrataCore
@testable import StrataQuery
import StrataStoreAPI
import StrataTestSupport
import SwiftProtobuf
import Testing

/// An endpoint that serves the fleet APIs and no series: Info with its external labels.
struct FleetOnlyStore: StoreClient {
    let name = "fleet-only"
    let labels: Labels

    func info() async throws -> Thanos_Info_InfoResponse {
        var r = Thanos_Info_InfoResponse()
        r.componentType = "sidecar"
        var z = Thanos_ZLabelSet()
        z.labels = labels.proto
        r.labelSets = [z]
        var s = Thanos_Info_StoreInfo()
        s.minTime = 0
        s.maxTime = .max
        r.store = s
        return r
    }

    func series(_ request: Thanos_SeriesRequest, onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {}
    func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse { Thanos_LabelNamesResponse() }
    func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse { Thanos_LabelValuesResponse() }
}

/// Targets from a list, or after a pause, or an error: the replicas, the slow and the broken.
struct FakeTargets: TargetsAPI {
    var targets: [Thanos_ActiveTarget] = []
    var delay: Duration = .zero
    var failure: String?

    func targets(_ request: Thanos_TargetsRequest, onResponse: @escaping @Sendable (Thanos_TargetsResponse) async throws -> Void) async throws {
        if delay > .zero { try await Task.sleep(for: delay) }
        if let failure { throw StoreError.unavailable(failure) }
        var d = Thanos_TargetDiscovery()
        d.activeTargets = targets
        try await onResponse(.targets(d))
    }
}

/// Exemplars of one series per endpoint (series labels with the endpoint's replica label, as a
/// sidecar sends them), remembering the queries it was asked.
final class RecordingExemplars: ExemplarsAPI, @unchecked Sendable {
    let replica: String
    private let lock = NSLock()
    private var asked: [String] = []

    init(replica: String) { self.replica = replica }

    var queries: [String] { lock.withLock { asked } }

    func exemplars(_ request: Thanos_ExemplarsRequest, onResponse: @escaping @Sendable (Thanos_ExemplarsResponse) async throws -> Void) async throws {
        lock.withLock { asked.append(request.query) }
        var d = Thanos_ExemplarData()
        d.seriesLabels.labels = Labels(["__name__": "m", "replica": replica]).proto
        var e = Thanos_Exemplar()
        e.ts = replica == "a" ? 1000 : 2000
        e.value = 1
        e.labels.labels = Labels(["trace_id": replica]).proto
        d.exemplars = [e]
        try await onResponse(.data(d))
    }
}

/// A Targets service whose frames are not protobuf: what a broken peer or proxy sends.
struct GarbageTargets: RegistrableRPCService {
    struct Garbage: MessageSerializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ message: Thanos_TargetsResponse) throws -> Bytes {
            // Field 1 (targets), length-delimited, claiming far more bytes than follow.
            Bytes([0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01])
        }
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: Thanos_Targets.Method.Targets.descriptor,
                               deserializer: ProtobufDeserializer<Thanos_TargetsRequest>(), serializer: Garbage()) { _, _ in
            StreamingServerResponse { writer in
                try await writer.write(Thanos_TargetsResponse())
                return [:]
            }
        }
    }
}

/// Info advertising the Targets API, for the garbage endpoint.
struct TargetsInfo: Thanos_Info_Info.SimpleServiceProtocol {
    func info(request: Thanos_Info_InfoRequest, context: ServerContext) async throws -> Thanos_Info_InfoResponse {
        var r = try await FleetOnlyStore(labels: Labels(["replica": "garbage"])).info()
        r.targets = Thanos_Info_TargetsInfo()
        return r
    }
}

func activeTarget(_ url: String, replica: String, health: Thanos_TargetHealth, scrapedAt seconds: Int64) -> Thanos_ActiveTarget {
    var t = Thanos_ActiveTarget()
    t.scrapePool = "node"
    t.scrapeURL = url
    t.labels.labels = Labels(["job": "node", "instance": url, "replica": replica]).proto
    t.discoveredLabels.labels = Labels(["__address__": url, "job": "node", "replica": replica]).proto
    t.health = health
    t.lastScrape = Google_Protobuf_Timestamp(seconds: seconds, nanos: 0)
    t.lastScrapeDuration = 0.25
    return t
}

@Suite(.serialized) struct FleetAPITests {
    /// Starts gRPC endpoints (`FleetAPIs` each) and a querier over them plus `extra` addresses.
    static func withQuerier(_ endpoints: [(Labels, FleetAPIs)], extra: [String] = [], fleetMaxBytes: Int = 128 << 20,
                            _ body: (String) async throws -> Void) async throws {
        try await withQuerier(endpoints, extra: extra, fleetMaxBytes: fleetMaxBytes) { url, _ in try await body(url) }
    }

    /// The same, giving the body the querier's own gRPC address too (stacked queriers).
    static func withQuerier(_ endpoints: [(Labels, FleetAPIs)], extra: [String] = [], fleetMaxBytes: Int = 128 << 20,
                            _ body: (String, String) async throws -> Void) async throws {
        var servers: [GRPCStoreServer] = []
        var addresses: [String] = []
        for (labels, apis) in endpoints {
            let s = GRPCStoreServer(store: FleetOnlyStore(labels: labels), host: "127.0.0.1", port: 0, apis: apis)
            Task { try await s.serve() }
            addresses.append("127.0.0.1:\(try await s.boundPort())")
            servers.append(s)
        }
        defer { servers.forEach { $0.shutdown() } }
        var config = QuerierService.Config()
        config.httpAddress = "127.0.0.1:\(try freePort())"
        config.grpcAddress = "127.0.0.1:\(try freePort())"
        config.endpoints = addresses + extra
        config.endpointInterval = .milliseconds(300)
        config.api.replicaLabels = ["replica"]
        config.api.timeout = .seconds(1)
        config.api.fleetMaxBytes = fleetMaxBytes
        let service = QuerierService(config: config, registry: PrometheusCollectorRegistry(), logger: Logger(label: "fleet-test"))
        let task = Task { try await service.run() }
        defer { task.cancel() }
        let url = "http://" + config.httpAddress
        let count = addresses.count + extra.count
        let healthy = await waitForAsync(20) {
            let stores = (try? await PromQLDifferential.get(url + "/api/v1/stores")) ?? ""
            return stores.components(separatedBy: "\"healthy\":true").count == count + 1
        }
        #expect(healthy, "endpoints did not all answer Info")
        try await body(url, config.grpcAddress)
    }

    static func get(_ url: String) async throws -> (Int, JSONValue) {
        let (data, resp) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((resp as? HTTPURLResponse)?.statusCode ?? 0, try JSONValue(parsing: Array(data)))
    }

    @Test(.timeLimit(.minutes(1))) func slowFailingAndGarbageEndpointsAreWarningsAndTheRestIsMergedInTime() async throws {
        // Replica a scrapes fine; replica b's scrape of the same target fails: the down copy wins.
        let a = FakeTargets(targets: [activeTarget("http://n1:9100/metrics", replica: "a", health: .up, scrapedAt: 200),
                                      activeTarget("http://n2:9100/metrics", replica: "a", health: .up, scrapedAt: 100)])
        let b = FakeTargets(targets: [activeTarget("http://n1:9100/metrics", replica: "b", health: .down, scrapedAt: 150),
                                      activeTarget("http://n2:9100/metrics", replica: "b", health: .up, scrapedAt: 300)])
        // The garbage endpoint: grpc-swift's own server with a Targets service sending non-protobuf frames.
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let garbage = GRPCServer(transport: transport, services: [TargetsInfo(), GarbageTargets()])
        let garbageTask = Task { try await garbage.serve() }
        defer { garbage.beginGracefulShutdown(); garbageTask.cancel() }
        var garbagePort = 0
        _ = await waitForAsync(10) {
            garbagePort = (try? await transport.listeningAddress)?.ipv4?.port ?? 0
            return garbagePort != 0
        }
        try await Self.withQuerier([
            (Labels(["replica": "a"]), FleetAPIs(targets: a)), (Labels(["replica": "b"]), FleetAPIs(targets: b)),
            (Labels(["replica": "slow"]), FleetAPIs(targets: FakeTargets(delay: .seconds(30)))),
            (Labels(["replica": "broken"]), FleetAPIs(targets: FakeTargets(failure: "prometheus said no"))),
            // Serves no Targets API: never asked, never a warning.
            (Labels(["replica": "store"]), FleetAPIs()),
        ], extra: ["127.0.0.1:\(garbagePort)"]) { url in
            let start = ContinuousClock.now
            // The querier stays responsive while an endpoint hangs.
            async let labels = PromQLDifferential.get(url + "/api/v1/labels")
            let (status, v) = try await Self.get(url + "/api/v1/targets")
            let elapsed = ContinuousClock.now - start
            #expect(try await labels.contains("\"status\":\"success\""))
            #expect(status == 200 && elapsed < .seconds(5), "\(status) after \(elapsed)")
            let warnings = v["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(warnings.count == 3, "\(warnings)")
            #expect(warnings.contains { $0.contains("timed out") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("prometheus said no") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("127.0.0.1:\(garbagePort)") }, "\(warnings)")
            let active = v["data"]?["activeTargets"]?.arrayValue ?? []
            let seen = active.map { "\($0["scrapeUrl"]?.stringValue ?? "") \($0["health"]?.stringValue ?? "") \($0["lastScrape"]?.stringValue ?? "")" }
            #expect(seen == ["http://n1:9100/metrics down 1970-01-01T00:02:30Z", "http://n2:9100/metrics up 1970-01-01T00:05:00Z"], "\(seen)")
            #expect(active.allSatisfy { ($0["labels"]?.objectValue ?? []).allSatisfy { $0.key != "replica" } })
            // Without partial response, the first failure is the answer.
            let (strict, e) = try await Self.get(url + "/api/v1/targets?partial_response=false")
            #expect(strict == 500 && e["status"]?.stringValue == "error" && e["errorType"]?.stringValue == "internal", "\(e.serialized())")
        }
    }

    /// A querier's own gRPC port passes the four APIs on, unmerged, for a querier above it to
    /// deduplicate; exemplar selectors keep their external-label matchers on the way to a
    /// querier (it routes by them) and lose them on the way to a sidecar.
    @Test(.timeLimit(.minutes(1))) func stackedQueriersPassTheAPIsOn() async throws {
        let a = FakeTargets(targets: [activeTarget("http://n1:9100/metrics", replica: "a", health: .up, scrapedAt: 10)])
        let b = FakeTargets(targets: [activeTarget("http://n1:9100/metrics", replica: "b", health: .up, scrapedAt: 20)])
        let (exA, exB) = (RecordingExemplars(replica: "a"), RecordingExemplars(replica: "b"))
        try await Self.withQuerier([(Labels(["replica": "a"]), FleetAPIs(targets: a, exemplars: exA)),
                                    (Labels(["replica": "b"]), FleetAPIs(targets: b, exemplars: exB))]) { _, lowerGRPC in
            let info = try await GRPCStoreClient(target: lowerGRPC, timeout: .seconds(10)).info()
            #expect(info.componentType == "query" && info.hasTargets && info.hasMetricMetadata && info.hasExemplars && info.hasRules)
            try await Self.withQuerier([], extra: [lowerGRPC]) { url in
                let (status, v) = try await Self.get(url + "/api/v1/targets")
                let active = v["data"]?["activeTargets"]?.arrayValue ?? []
                #expect(status == 200 && active.count == 1 && active.first?["lastScrape"]?.stringValue == "1970-01-01T00:00:20Z", "\(v.serialized())")
                let (_, onlyA) = try await Self.get(url + "/api/v1/query_exemplars?query=" + PromQLDifferential.encode("m{replica=\"a\"}"))
                #expect(onlyA["data"]?.arrayValue?.count == 1 && onlyA["data"]?.arrayValue?.first?["exemplars"]?.arrayValue?.first?["timestamp"] == .int(1), "\(onlyA.serialized())")
                #expect(exA.queries == [#"{__name__="m"}"#] && exB.queries.isEmpty, "\(exA.queries) \(exB.queries)")
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func answersOverTheByteBudgetAreRefusedNamingTheFlag() async throws {
        let many = FakeTargets(targets: (0..<200).map { activeTarget("http://n\($0):9100/metrics", replica: "a", health: .up, scrapedAt: 1) })
        try await Self.withQuerier([(Labels(["replica": "a"]), FleetAPIs(targets: many))], fleetMaxBytes: 4096) { url in
            let (status, v) = try await Self.get(url + "/api/v1/targets")
            #expect(status == 422 && v["errorType"]?.stringValue == "execution", "\(v.serialized())")
            #expect(v["error"]?.stringValue?.contains("--query.fleet-max-bytes") == true && v["error"]?.stringValue?.contains("4.0 KiB") == true,
                    "\(v.serialized())")
        }
    }
}
