import Foundation
import Logging
import StrataCore
import StrataSecurity
import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// `strata-query --endpoint=dnssrv+_grpc._tcp.store.test` against a real dnsmasq: the SRV
/// records name two stores (`one.store.test`, `two.store.test`, each its own Store API with
/// its own external label); only `one` has an address at first. Then the addresses move
/// (addn-hosts rewritten + SIGHUP: dnsmasq does not reload SRV records on SIGHUP, measured), so
/// `two` appears and `one` disappears, and the querier must follow, through `/api/v1/stores`
/// and query answers. A second `--endpoint` that does not resolve is a warning, never an
/// outage; and when the DNS server dies the querier keeps the last answer.
@Suite(.serialized) struct DNSDiscoveryProcessTests {
    static let t0: Int64 = 1_700_006_400_000

    static func store(_ name: String, tls: ServerTLS? = nil) async throws -> (GRPCStoreServer, Int) {
        let dir = TestEnv.tempDir("dns-store-\(name)")
        let w = try BlockWriter(parentDir: dir, minTime: t0, maxTime: t0 + 7_200_000)
        let ts = Array(stride(from: t0, to: t0 + 7_200_000, by: 60_000))
        try w.add(Labels(["__name__": "demo", "job": "x"]), timestamps: ts, values: ts.map { _ in 1 })
        _ = try w.commit { $0.thanos = ThanosMeta(labels: ["store": name], source: "test") }
        let server = GRPCStoreServer(store: try LocalBlockStore(directory: dir), host: "127.0.0.1", port: 0, tls: tls)
        Task { try await server.serve() }
        return (server, try await server.boundPort())
    }

    @Test func querierFollowsSRVAnswers() async throws {
        let (one, p1) = try await Self.store("one")
        let (two, p2) = try await Self.store("two")
        defer {
            one.shutdown()
            two.shutdown()
        }
        guard let dns = try await DNSServer.start(
            config: ["srv-host=_grpc._tcp.store.test,one.store.test,\(p1)", "srv-host=_grpc._tcp.store.test,two.store.test,\(p2)"],
            hosts: [("127.0.0.1", "one.store.test")]) else { return }
        defer { dns.stop() }
        let http = try freePort()
        let (querier, log) = try startService("strata-query", [
            "--endpoint=dnssrv+_grpc._tcp.store.test", "--endpoint=dns+missing.test:10901",
            "--dns.nameserver=\(dns.nameserver)", "--store.sd-dns-interval=1s", "--store.sd-interval=1s",
            "--http-address=127.0.0.1:\(http)", "--grpc-address=127.0.0.1:\(try freePort())",
        ])
        defer {
            if querier.isRunning { querier.terminate() }
            querier.waitUntilExit()
        }
        let url = "http://127.0.0.1:\(http)"
        func stores() async -> String { (try? await PromQLDifferential.get(url + "/api/v1/stores")) ?? "" }
        func healthy(_ port: Int) async -> Bool { await stores().contains("\"name\":\"127.0.0.1:\(port)\",\"healthy\":true") }
        func listed(_ port: Int) async -> Bool { await stores().contains("\"name\":\"127.0.0.1:\(port)\"") }
        func answer() async -> String {
            (try? await PromQLDifferential.get(url + "/api/v1/query?query=sum%20by%20(store)%20(demo)&time=\(Self.t0 / 1000 + 3600)")) ?? ""
        }
        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        // First answer: store one only.
        let first = await waitForAsync(30) { await healthy(p1) }
        var s = await stores()
        #expect(first, "stores: \(s)\nlog:\n\(logText())")
        let twoListed = await listed(p2)
        #expect(!twoListed)
        var a = await answer()
        #expect(a.contains("\"store\":\"one\"") && !a.contains("\"store\":\"two\""), "\(a)")
        // The name that does not resolve: a warning, retried, and the querier serves on.
        #expect(await waitForAsync(10) { logText().contains("level=warn") && logText().contains("addr=dns+missing.test:10901") })
        #expect(logText().contains("DNS lookup found no addresses"))

        // The answers change: two appears, one disappears.
        try dns.setHosts([("127.0.0.1", "two.store.test")])
        let moved = await waitForAsync(15) {
            let oneListed = await listed(p1)
            return await healthy(p2) && !oneListed
        }
        s = await stores()
        #expect(moved, "stores: \(s)\nlog:\n\(logText())")
        a = await answer()
        #expect(a.contains("\"store\":\"two\"") && !a.contains("\"store\":\"one\""), "\(a)")
        #expect(logText().contains("endpoint removed"))

        // The DNS server dies: lookups fail, the last answer is kept, queries still answered.
        dns.stop()
        #expect(await waitForAsync(15) { logText().contains("DNS lookup failed, keeping the last answer") }, "\(logText())")
        try await Task.sleep(for: .seconds(2))
        #expect(await healthy(p2))
        a = await answer()
        #expect(a.contains("\"store\":\"two\""), "\(a)")
        #expect(querier.isRunning)
        #expect(!logText().contains("level=error"), "\(logText())")

        querier.terminate()
        #expect(await waitForAsync(20) { !querier.isRunning })
        #expect(querier.terminationStatus == 0)
    }

    /// An endpoint found through a DNS name of the endpoint config is dialled with that
    /// entry's TLS settings: an mTLS store behind `dnssrv+` next to a plaintext one.
    @Test(.timeLimit(.minutes(1))) func endpointConfigTLSAppliesToDNSFoundEndpoints() async throws {
        guard let certs = try TestCertificates.make(tag: "dns-tls") else { return }
        let tls = try ServerTLS(ServerTLSConfig(certFile: certs.serverCert, keyFile: certs.serverKey, clientCAFile: certs.caCert),
                                logger: Logger(label: "t"))
        let (secure, p1) = try await Self.store("secure", tls: tls)
        let (plain, p2) = try await Self.store("plain")
        defer {
            secure.shutdown()
            plain.shutdown()
        }
        guard let dns = try await DNSServer.start(config: ["srv-host=_grpc._tcp.secure.test,secure.store.test,\(p1)"],
                                                  hosts: [("127.0.0.1", "secure.store.test"), ("127.0.0.1", "plain.store.test")]) else { return }
        defer { dns.stop() }
        let config = TestEnv.tempDir("dns-tls") + "/endpoints.yml"
        try """
            endpoints:
              - address: dnssrv+_grpc._tcp.secure.test
                client_config:
                  tls_config: {ca_file: \(certs.caCert), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}
              - address: dns+plain.store.test:\(p2)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let http = try freePort()
        let (querier, log) = try startService("strata-query", [
            "--endpoint.sd-config-file=\(config)", "--dns.nameserver=\(dns.nameserver)", "--store.sd-interval=1s",
            "--http-address=127.0.0.1:\(http)", "--grpc-address=127.0.0.1:\(try freePort())",
        ])
        defer {
            if querier.isRunning { querier.terminate() }
            querier.waitUntilExit()
        }
        let url = "http://127.0.0.1:\(http)"
        let both = try await waitForAsync(20) {
            let s = (try? await PromQLDifferential.get(url + "/api/v1/stores")) ?? ""
            return s.contains("\"name\":\"127.0.0.1:\(p1)\",\"healthy\":true") && s.contains("\"name\":\"127.0.0.1:\(p2)\",\"healthy\":true")
        }
        #expect(both, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let answer = (try? await PromQLDifferential.get(url + "/api/v1/query?query=sum%20by%20(store)%20(demo)&time=\(Self.t0 / 1000 + 3600)")) ?? ""
        #expect(answer.contains("\"secure\"") && answer.contains("\"plain\""), "\(answer)")
    }

    /// `--endpoint.sd-config-file` is re-read every `--endpoint.sd-config-reload-interval`:
    /// endpoints come and go with it, an entry whose TLS settings change is redialled, and a
    /// broken file keeps the last good config.
    @Test(.timeLimit(.minutes(1))) func endpointConfigIsReloaded() async throws {
        guard let certs = try TestCertificates.make(tag: "reload") else { return }
        let tls = try ServerTLS(ServerTLSConfig(certFile: certs.serverCert, keyFile: certs.serverKey, clientCAFile: certs.caCert),
                                logger: Logger(label: "t"))
        let (plain, p1) = try await Self.store("plain")
        let (secure, p2) = try await Self.store("secure", tls: tls)
        defer {
            plain.shutdown()
            secure.shutdown()
        }
        let file = TestEnv.tempDir("reload") + "/endpoints.yml"
        func write(_ text: String) throws {
            // Written aside and renamed, as a config management tool does.
            try text.write(toFile: file + ".tmp", atomically: false, encoding: .utf8)
            _ = rename(file + ".tmp", file)
        }
        try write("endpoints: [{address: \"127.0.0.1:\(p1)\"}, {address: \"127.0.0.1:\(p2)\"}]\n")
        let http = try freePort()
        let (querier, log) = try startService("strata-query", [
            "--endpoint.sd-config-file=\(file)", "--endpoint.sd-config-reload-interval=1s", "--store.sd-interval=1s",
            "--http-address=127.0.0.1:\(http)", "--grpc-address=127.0.0.1:\(try freePort())",
        ])
        defer {
            if querier.isRunning { querier.terminate() }
            querier.waitUntilExit()
        }
        func stores() async -> String { (try? await PromQLDifferential.get("http://127.0.0.1:\(http)/api/v1/stores")) ?? "" }
        func healthy(_ port: Int) async -> Bool { await stores().contains("\"name\":\"127.0.0.1:\(port)\",\"healthy\":true") }
        func listed(_ port: Int) async -> Bool { await stores().contains("\"name\":\"127.0.0.1:\(port)\"") }
        let first = await waitForAsync(15) { await healthy(p1) }
        let secureBefore = await healthy(p2)
        let listing = await stores()
        #expect(first && !secureBefore, "plaintext to the mTLS store must fail: \(listing)")
        // TLS for the secure store, the plain one removed.
        try write("""
            endpoints:
              - address: "127.0.0.1:\(p2)"
                client_config: {tls_config: {ca_file: \(certs.caCert), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}}
            """)
        let second = await waitForAsync(15) { await healthy(p2) }
        let gone = await waitForAsync(5) { !(await listed(p1)) }
        let after = await stores()
        #expect(second && gone, "\(after)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // A broken file: the last config stays.
        try write("endpoints: [{address: ")
        try await Task.sleep(for: .seconds(2.5))
        let kept = await healthy(p2)
        #expect(kept)
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("endpoint config reload failed"))
    }

    @Test func malformedDNSEndpointIsAStartupError() throws {
        let r = try TestEnv.run(TestEnv.binary("strata-query"), ["--endpoint=dns+store.test", "--http-address", "127.0.0.1:\(try freePort())"],
                                timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("needs a port"), "\(r.stderr)")
        let bad = try TestEnv.run(TestEnv.binary("strata-query"), ["--endpoint=dns+store.test:1", "--dns.nameserver=localhost",
                                                                   "--http-address", "127.0.0.1:\(try freePort())"], timeout: 30)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("expected ip:port"), "\(bad.stderr)")
    }
}
