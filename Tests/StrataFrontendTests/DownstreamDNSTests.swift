import Foundation
import Logging
import StrataCore
import StrataDiscovery
import StrataTestSupport
import Testing
@testable import StrataFrontend

/// `--query-frontend.downstream-url` entries whose host names a DNS lookup: the entry forms,
/// then a real querier found through a real dnsmasq — in-process through `Downstream`, and
/// through the `strata-frontend` executable with `--dns.nameserver`.
@Suite(.serialized) struct DownstreamDNSTests {
    @Test func entryForms() throws {
        #expect(try DownstreamTargets.parse("http://127.0.0.1:9090/") == .url("http://127.0.0.1:9090"))
        #expect(try DownstreamTargets.parse(" ") == nil)
        #expect(try DownstreamTargets.parse("http://dns+querier.test:9090") == .dns(spec: "dns+http://querier.test:9090", path: ""))
        #expect(try DownstreamTargets.parse("https://dnssrv+_http._tcp.querier.test/prefix/")
                == .dns(spec: "dnssrv+https://_http._tcp.querier.test", path: "/prefix"))
        #expect(try DownstreamTargets.parse("http://dnssrvnoa+_http._tcp.querier.test") == .dns(spec: "dnssrvnoa+http://_http._tcp.querier.test", path: ""))
        // Thanos's form, prefix before the scheme.
        #expect(try DownstreamTargets.parse("dns+http://querier.test:9090/p") == .dns(spec: "dns+http://querier.test:9090", path: "/p"))
        #expect(throws: ConfigError.self) { try DownstreamTargets.parse("http://dns+querier.test") }  // dns+ needs a port
        #expect(throws: ConfigError.self) { try DownstreamTargets.parse("http://srv+querier.test:1") }
        #expect(DownstreamTargets.urls([.url("http://a:1"), .dns(spec: "x", path: "/p"), .dns(spec: "y", path: "")],
                                       resolved: [["http://10.0.0.1:2", "http://10.0.0.2:2"], []])
                == ["http://a:1", "http://10.0.0.1:2/p", "http://10.0.0.2:2/p"])
    }

    static func dnsFor(querierPort: Int) async throws -> DNSServer? {
        try await DNSServer.start(config: ["srv-host=_http._tcp.querier.test,querier.test,\(querierPort)"],
                                  hosts: [("127.0.0.1", "querier.test")])
    }

    /// A querier over the frontend test data, stopped when `body` ends.
    static func withQuerier(_ body: (FrontendStack, DNSServer) async throws -> Void) async throws {
        let stack = try await FrontendStack.start(cache: nil)
        do {
            if let dns = try await dnsFor(querierPort: stack.querierPort) {
                defer { dns.stop() }
                try await body(stack, dns)
            }
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static let query = "/api/v1/query?query=count(temp)&time=\(Double(FrontendStack.t0 + 3_600_000) / 1000)"

    /// The SRV entry finds the querier; an entry that does not resolve contributes nothing;
    /// when the name goes away the frontend answers 502 saying so, and recovers when it is back.
    @Test func findsTheQuerierThroughSRV() async throws {
        try await Self.withQuerier { stack, dns in
            let d = try Downstream(url: "http://dnssrv+_http._tcp.querier.test,http://dns+nope.test:1", maxRetries: 2,
                                   dns: try DNSClient(nameserver: dns.nameserver), dnsInterval: .milliseconds(200), logger: Logger(label: "t"))
            #expect(await d.targets.current() == ["http://127.0.0.1:\(stack.querierPort)"])
            let direct = try await stack.direct(Self.query)
            let r = await d.send(method: "GET", Self.query)
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == direct)

            try dns.setHosts([])
            let gone = await waitForAsync(10) { await d.send(method: "GET", Self.query).status == 502 }
            #expect(gone)
            let msg = String(decoding: await d.send(method: "GET", Self.query).body, as: UTF8.self)
            #expect(msg.contains("resolved to no address"), "\(msg)")

            try dns.setHosts([("127.0.0.1", "querier.test")])
            #expect(await waitForAsync(10) { await d.send(method: "GET", Self.query).status == 200 })
            try await d.shutdown()
        }
    }

    /// The executable's flags: `--query-frontend.downstream-url=http://dns+querier.test:PORT`
    /// with `--dns.nameserver` and `--query-frontend.downstream-dns-interval`.
    @Test func frontendExecutableResolvesItsDownstream() async throws {
        try await Self.withQuerier { stack, dns in
            let port = try freePort()
            let (p, log) = try startService("strata-frontend", [
                "--http-address=127.0.0.1:\(port)", "--query-frontend.downstream-url=http://dns+querier.test:\(stack.querierPort)",
                "--dns.nameserver=\(dns.nameserver)", "--query-frontend.downstream-dns-interval=1s",
                "--query-range.response-cache-config=type: IN-MEMORY",
            ])
            defer {
                if p.isRunning { p.terminate() }
                p.waitUntilExit()
            }
            let url = "http://127.0.0.1:\(port)"
            let up = await waitForAsync(30) { await httpStatusAsync(port: port, path: "/-/ready") == 200 }
            #expect(up, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            let direct = try await stack.direct(Self.query)
            #expect(try await PromQLDifferential.get(url + Self.query) == direct)
            #expect(dns.log.contains("query[A] querier.test"))
        }
    }
}
