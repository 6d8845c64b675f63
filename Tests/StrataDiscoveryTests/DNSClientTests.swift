import Foundation
import NIOCore
import StrataTestSupport
import Testing
@testable import StrataDiscovery

#if canImport(Glibc)
import Glibc
#endif

/// Our DNS client against a real dnsmasq on a free 127.0.0.1 port: A, AAAA, SRV (with and
/// without address lookups), CNAME, NXDOMAIN, REFUSED, a reply too big for UDP (TCP
/// fallback), and a server that never answers (bounded timeout).
@Suite(.serialized) struct DNSClientTests {
    static let hosts = [("127.0.0.1", "v4.store.test"), ("fd00::1", "v6.store.test"),
                        ("127.0.0.2", "dual.store.test"), ("fd00::2", "dual.store.test")]
    static let config = ["srv-host=_grpc._tcp.store.test,v4.store.test,10901", "srv-host=_grpc._tcp.store.test,dual.store.test,10902",
                         "srv-host=_gone._tcp.store.test,missing.store.test,10903",
                         "cname=alias.store.test,v4.store.test"]
        + (0..<300).map { "srv-host=_many._tcp.store.test,target\($0).store.test,\(20000 + $0)" }

    static func withServer(_ body: (DNSServer, DNSClient) async throws -> Void) async throws {
        guard let dns = try await DNSServer.start(config: config, hosts: hosts) else { return }
        defer { dns.stop() }
        try await body(dns, try DNSClient(nameserver: dns.nameserver, timeout: .seconds(2)))
    }

    static func resolve(_ c: DNSClient, _ spec: String) async throws -> [String] { try await c.resolve(try #require(try DNSSpec.parse(spec))) }

    @Test func addressRecords() async throws {
        try await Self.withServer { dns, c in
            #expect(try await c.lookup("v4.store.test", .a) == [.a(name: "v4.store.test", address: "127.0.0.1")])
            #expect(try await c.lookup("v6.store.test", .aaaa) == [.aaaa(name: "v6.store.test", address: "fd00::1")])
            #expect(try await c.lookup("V4.Store.Test.", .a).count == 1)  // case and trailing dot do not matter
            // The name exists without AAAA records: an empty answer, not an error.
            let noAAAA = try await c.lookup("v4.store.test", .aaaa)
            #expect(noAAAA.isEmpty)
            #expect(try await Self.resolve(c, "dns+v4.store.test:9") == ["127.0.0.1:9"])
            #expect(try await Self.resolve(c, "dns+v6.store.test:9") == ["[fd00::1]:9"])
            // dns+ prefers AAAA (Thanos's miekgdns); dnsdualstack+ gives both.
            #expect(try await Self.resolve(c, "dns+dual.store.test:9") == ["[fd00::2]:9"])
            #expect(try await Self.resolve(c, "dnsdualstack+dual.store.test:9") == ["[fd00::2]:9", "127.0.0.2:9"])
            #expect(try await Self.resolve(c, "dnsdualstack+v4.store.test:9") == ["127.0.0.1:9"])
            #expect(try await Self.resolve(c, "dns+http://v4.store.test:9090") == ["http://127.0.0.1:9090"])
            #expect(try await Self.resolve(c, "dns+alias.store.test:9") == ["127.0.0.1:9"])
            #expect(dns.log.contains("query[A] v4.store.test"))
        }
    }

    @Test func srvRecords() async throws {
        try await Self.withServer { _, c in
            let recs = try await c.lookup("_grpc._tcp.store.test", .srv)
            #expect(Set(recs.compactMap { if case .srv(_, _, _, let port, let target) = $0 { "\(target):\(port)" } else { nil } })
                    == ["v4.store.test:10901", "dual.store.test:10902"])
            #expect(Set(try await Self.resolve(c, "dnssrv+_grpc._tcp.store.test")) == ["127.0.0.1:10901", "[fd00::2]:10902"])
            #expect(Set(try await Self.resolve(c, "dnssrvnoa+_grpc._tcp.store.test")) == ["v4.store.test:10901", "dual.store.test:10902"])
            // A port in the spec replaces the records' ports.
            #expect(Set(try await Self.resolve(c, "dnssrv+_grpc._tcp.store.test:7")) == ["127.0.0.1:7", "[fd00::2]:7"])
            // A target that does not exist contributes nothing (and is no error).
            #expect(try await Self.resolve(c, "dnssrv+_gone._tcp.store.test") == [])
            #expect(try await Self.resolve(c, "dnssrvnoa+_gone._tcp.store.test") == ["missing.store.test:10903"])
        }
    }

    /// 300 SRV records do not fit in 4096 bytes: dnsmasq sets TC and the client asks again
    /// over TCP.
    @Test func truncatedReplyFallsBackToTCP() async throws {
        try await Self.withServer { dns, c in
            let targets = try await Self.resolve(c, "dnssrvnoa+_many._tcp.store.test")
            #expect(targets.count == 300)
            #expect(Set(targets) == Set((0..<300).map { "target\($0).store.test:\(20000 + $0)" }))
            #expect(dns.log.contains("query[SRV] _many._tcp.store.test"))
        }
    }

    @Test func missingNamesAndRefusals() async throws {
        try await Self.withServer { _, c in
            // NXDOMAIN: no records, no error.
            let nx = try await c.lookup("nope.test", .a)
            #expect(nx.isEmpty)
            #expect(try await Self.resolve(c, "dns+nope.test:9") == [])
            #expect(try await Self.resolve(c, "dnssrv+_x._tcp.nope.test") == [])
            // dnsmasq refuses names outside its zone: an error (existence unknown).
            await #expect(throws: DNSError.serverError(server: "127.0.0.1:\(c.port)", rcode: 5)) {
                try await c.lookup("store.example", .a)
            }
        }
    }

    /// A UDP socket that never reads: every attempt times out, and the whole lookup is
    /// bounded by attempts × timeout.
    @Test func serverThatNeverAnswersTimesOut() async throws {
        let (fd, port) = try Self.blackHole()
        defer { close(fd) }
        let c = try DNSClient(nameserver: "127.0.0.1:\(port)", timeout: .milliseconds(200), attempts: 2)
        let start = ContinuousClock.now
        await #expect(throws: DNSError.timeout(server: "127.0.0.1:\(port)", attempts: 2, after: .milliseconds(200))) {
            try await c.lookup("v4.store.test", .a)
        }
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(400) && took < .seconds(2), "\(took)")
        await #expect(throws: DNSError.self) { try await Self.resolve(c, "dnssrv+_grpc._tcp.store.test") }
    }

    /// Nothing bound on the port: the connected UDP socket learns it from the ICMP error,
    /// well before the timeout.
    @Test func closedPortFailsFast() async throws {
        let port = try freePort()
        let c = try DNSClient(nameserver: "127.0.0.1:\(port)", timeout: .seconds(3), attempts: 2)
        let start = ContinuousClock.now
        await #expect(throws: DNSError.transport(server: "127.0.0.1:\(port)", "connection refused")) { try await c.lookup("v4.store.test", .a) }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    static func blackHole() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard fd >= 0, ok else { throw MissingComponent(description: "cannot bind a UDP socket") }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}

extension DNSClient {
    var port: Int { if case .nameservers(let ns) = source { ns.servers.first?.port ?? 0 } else { 0 } }
}

/// A nameserver of our own on a UDP socket that first answers each query with the wrong
/// transaction id, then (if `honest`) correctly: the client must skip the stray reply and
/// take the right one, or time out when only wrong ones come.
@Suite struct DNSTransactionIdTests {
    final class FakeServer: @unchecked Sendable {
        let fd: Int32, port: Int
        init(honest: Bool) throws {
            (fd, port) = try DNSClientTests.blackHole()
            let fd = self.fd
            Thread.detachNewThread {
                var buf = [UInt8](repeating: 0, count: 1500)
                while true {
                    var from = sockaddr_storage(), len = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let n = withUnsafeMutablePointer(to: &from) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buf, buf.count, 0, $0, &len) }
                    }
                    guard n > 12 else { return }  // socket closed
                    let query = Array(buf[0..<n])
                    var end = 12
                    while query[end] != 0 { end += Int(query[end]) + 1 }
                    let question = query[12..<end + 5]
                    func reply(id0: UInt8) -> [UInt8] {
                        [id0, query[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 9, 8, 7]
                    }
                    var replies = [reply(id0: query[0] ^ 0xFF)]
                    if honest { replies.append(reply(id0: query[0])) }
                    for r in replies {
                        _ = withUnsafePointer(to: &from) { p in
                            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, r, r.count, 0, $0, len) }
                        }
                    }
                }
            }
        }

        func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    @Test func skipsRepliesWithAnotherTransactionId() async throws {
        let s = try FakeServer(honest: true)
        defer { s.stop() }
        let c = try DNSClient(nameserver: "127.0.0.1:\(s.port)", timeout: .seconds(2), attempts: 1)
        #expect(try await c.lookup("x.test", .a) == [.a(name: "x.test", address: "10.9.8.7")])
    }

    @Test func onlyWrongIdsIsATimeout() async throws {
        let s = try FakeServer(honest: false)
        defer { s.stop() }
        let c = try DNSClient(nameserver: "127.0.0.1:\(s.port)", timeout: .milliseconds(300), attempts: 2)
        await #expect(throws: DNSError.timeout(server: "127.0.0.1:\(s.port)", attempts: 2, after: .milliseconds(300))) {
            try await c.lookup("x.test", .a)
        }
    }
}
