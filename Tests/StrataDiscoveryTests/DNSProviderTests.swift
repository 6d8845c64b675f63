import Foundation
import Logging
import MetricsTestKit
import StrataTestSupport
import Synchronization
import Testing
@testable import StrataDiscovery

#if canImport(Glibc)
import Glibc
#endif

/// Thanos's provider semantics against a real dnsmasq whose answers change (SIGHUP) and which
/// then stops answering: plain addresses pass through, an empty answer empties an entry, a
/// failed lookup keeps the last answer with a warning and a counted failure, and entries are
/// looked up again only once the interval has passed.
@Suite(.serialized) struct DNSProviderTests {
    static let config = ["srv-host=_grpc._tcp.store.test,v4.store.test,10901"]

    static func provider(_ dns: DNSServer, interval: Duration = .zero, metrics: TestMetrics, logs: LogCapture) throws -> DNSProvider {
        DNSProvider(client: try DNSClient(nameserver: dns.nameserver, timeout: .milliseconds(300), attempts: 1),
                    interval: interval, logger: logs.logger, factory: metrics)
    }

    static func counts(_ m: TestMetrics) throws -> (Int64, Int64) {
        (try m.expectCounter("strata_dns_lookups_total").totalValue, try m.expectCounter("strata_dns_lookup_failures_total").totalValue)
    }

    @Test func keepsLastAnswerOnFailureEmptiesOnNXDOMAIN() async throws {
        guard let dns = try await DNSServer.start(config: Self.config, hosts: [("127.0.0.1", "v4.store.test")]) else { return }
        defer { dns.stop() }
        let metrics = TestMetrics(), logs = LogCapture()
        let p = try Self.provider(dns, metrics: metrics, logs: logs)
        let specs = ["dns+v4.store.test:9", "10.0.0.9:1", "dnssrv+_grpc._tcp.store.test", "dns+v4.store.test:9"]
        #expect(await p.resolve(specs) == ["127.0.0.1:9", "10.0.0.9:1", "127.0.0.1:10901"])
        #expect(await p.resolveEach(specs) == [["127.0.0.1:9"], ["10.0.0.9:1"], ["127.0.0.1:10901"], ["127.0.0.1:9"]])
        #expect(try Self.counts(metrics) == (4, 0))  // two dynamic specs, twice; the plain address is never looked up

        // The name is gone (NXDOMAIN): its addresses go too, the plain address stays.
        try dns.setHosts([])
        #expect(await waitForAsync(10) { await p.resolve(specs) == ["10.0.0.9:1"] })
        #expect(logs.contains(.warning, "DNS lookup found no addresses"))
        try dns.setHosts([("127.0.0.3", "v4.store.test")])
        #expect(await waitForAsync(10) { await p.resolve(specs) == ["127.0.0.3:9", "10.0.0.9:1", "127.0.0.3:10901"] })

        // The server stops answering: every lookup fails, the last answers are kept.
        dns.stop()
        let (lookups, failures) = try Self.counts(metrics)
        #expect(failures == 0)
        #expect(await p.resolve(specs) == ["127.0.0.3:9", "10.0.0.9:1", "127.0.0.3:10901"])
        #expect(try Self.counts(metrics) == (lookups + 2, 2))
        #expect(logs.contains(.warning, "DNS lookup failed, keeping the last answer"))
    }

    @Test func looksUpAgainOnlyAfterTheInterval() async throws {
        guard let dns = try await DNSServer.start(config: Self.config, hosts: [("127.0.0.1", "v4.store.test")]) else { return }
        defer { dns.stop() }
        let metrics = TestMetrics(), logs = LogCapture()
        let p = try Self.provider(dns, interval: .seconds(3), metrics: metrics, logs: logs)
        #expect(await p.resolve(["dns+v4.store.test:9"]) == ["127.0.0.1:9"])
        try dns.setHosts([("127.0.0.4", "v4.store.test")])
        // dnsmasq has re-read its hosts file (asked directly, not through the provider).
        let direct = try DNSClient(nameserver: dns.nameserver)
        #expect(await waitForAsync(2) { (try? await direct.lookup("v4.store.test", .a)) == [.a(name: "v4.store.test", address: "127.0.0.4")] })
        // Within the interval: the last answer, no lookup. A new spec is looked up at once.
        #expect(await p.resolve(["dns+v4.store.test:9", "dns+v4.store.test:10"]) == ["127.0.0.1:9", "127.0.0.4:10"])
        #expect(try Self.counts(metrics) == (2, 0))
        // After it: the new answer.
        #expect(await waitForAsync(5) { await p.resolve(["dns+v4.store.test:9"]) == ["127.0.0.4:9"] })
        #expect(try Self.counts(metrics).0 == 3)
    }

    @Test func badSpecIsAFailedLookupNotACrash() async throws {
        guard let dns = try await DNSServer.start(config: Self.config, hosts: [("127.0.0.1", "v4.store.test")]) else { return }
        defer { dns.stop() }
        let metrics = TestMetrics(), logs = LogCapture()
        let p = try Self.provider(dns, metrics: metrics, logs: logs)
        #expect(await p.resolve(["srv+x.test:1", "dns+v4.store.test", "dns+v4.store.test:9"]) == ["127.0.0.1:9"])
        #expect(try Self.counts(metrics) == (3, 2))
        #expect(logs.contains(.warning, "DNS lookup failed", containing: "unknown DNS lookup"))
        #expect(logs.contains(.warning, "DNS lookup failed", containing: "needs a port"))
    }

    /// Entries due are looked up concurrently: four dead names cost what one costs (two
    /// timeouts: AAAA, then A), not four times that.
    @Test func failingLookupsRunConcurrently() async throws {
        let (fd, port) = try DNSClientTests.blackHole()
        defer { close(fd) }
        let metrics = TestMetrics(), logs = LogCapture()
        let p = DNSProvider(client: try DNSClient(nameserver: "127.0.0.1:\(port)", timeout: .milliseconds(400), attempts: 1),
                            logger: logs.logger, factory: metrics)
        let start = ContinuousClock.now
        #expect(await p.resolve((1...4).map { "dns+s\($0).test:9" } + ["10.0.0.1:9"]) == ["10.0.0.1:9"])
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(800) && took < .milliseconds(1600), "\(took)")
        #expect(try Self.counts(metrics) == (4, 4))
    }
}

/// Collects log records so a test can check a warning was given.
final class LogCapture: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: String
    }

    let records = Mutex<[Record]>([])

    var logger: Logger {
        let sink = self
        var l = Logger(label: "test") { _ in Handler(sink: sink) }
        l.logLevel = .debug
        return l
    }

    func contains(_ level: Logger.Level, _ message: String, containing: String = "") -> Bool {
        records.withLock { $0.contains { $0.level == level && $0.message.contains(message) && (containing.isEmpty || $0.metadata.contains(containing)) } }
    }

    struct Handler: LogHandler {
        let sink: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let r = Record(level: event.level, message: "\(event.message)", metadata: "\(event.metadata ?? [:])")
            sink.records.withLock { $0.append(r) }
        }
    }
}
