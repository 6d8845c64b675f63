import NIOCore
import Testing
@testable import StrataDiscovery

/// RFC 1035 encoding and decoding on hand-made bytes: the exact query, compressed names in
/// answers and in SRV data, every way a reply can be wrong.
@Suite struct DNSMessageTests {
    @Test func queryBytes() throws {
        let q = try DNSMessage.query(id: 0xABCD, name: "store.test.", type: .a)
        let expected: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
                                 5] + Array("store".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1,
                                 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]
        #expect(q == expected)
        #expect(try DNSMessage.query(id: 1, name: "store.test", type: .srv, edns: false).count == 12 + 12 + 4)
        #expect(throws: DNSError.self) { try DNSMessage.query(id: 1, name: "a..b", type: .a) }
        #expect(throws: DNSError.self) { try DNSMessage.query(id: 1, name: String(repeating: "x", count: 64) + ".test", type: .a) }
        #expect(throws: DNSError.self) { try DNSMessage.query(id: 1, name: Array(repeating: "abcdefghi", count: 26).joined(separator: "."), type: .a) }
    }

    /// A reply to an SRV question for `_grpc._tcp.store.test` whose records' owners and
    /// targets are compressed: owner → the question, target `a` + pointer to `store.test`.
    static func srvReply(id: UInt16 = 0x1234, flags: UInt16 = 0x8180) -> [UInt8] {
        var b: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, 3, 0, 0, 0, 0]
        for l in ["_grpc", "_tcp", "store", "test"] { b += [UInt8(l.count)] + Array(l.utf8) }
        b += [0, 0, 33, 0, 1]
        let storeTest: UInt8 = 12 + 6 + 5  // offset of "store" in the question
        for (target, port) in [("a", UInt16(10901)), ("b", 10902)] {
            b += [0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 30, 0, 10, 0, 1, 0, 2, UInt8(port >> 8), UInt8(port & 0xFF)]
            b += [1] + Array(target.utf8) + [0xC0, storeTest]
        }
        // A TXT record: skipped by its length.
        b += [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 30, 0, 4, 3] + Array("abc".utf8)
        return b
    }

    @Test func decodesCompressedSRVAnswers() throws {
        let r = try DNSMessage.reply(Self.srvReply(), id: 0x1234, name: "_GRPC._tcp.store.test.", type: .srv)
        #expect(r.rcode == 0 && !r.truncated)
        #expect(r.answers == [
            .srv(name: "_grpc._tcp.store.test", priority: 1, weight: 2, port: 10901, target: "a.store.test"),
            .srv(name: "_grpc._tcp.store.test", priority: 1, weight: 2, port: 10902, target: "b.store.test"),
        ])
        #expect(try DNSMessage.reply(Self.srvReply(flags: 0x8380), id: 0x1234, name: "_grpc._tcp.store.test", type: .srv).truncated)
    }

    @Test func rejectsRepliesToOtherQuestions() {
        #expect(throws: DNSError.mismatch("transaction id 4660, expected 4661")) {
            try DNSMessage.reply(Self.srvReply(), id: 0x1235, name: "_grpc._tcp.store.test", type: .srv)
        }
        #expect(throws: DNSError.self) { try DNSMessage.reply(Self.srvReply(), id: 0x1234, name: "_grpc._tcp.other.test", type: .srv) }
        #expect(throws: DNSError.self) { try DNSMessage.reply(Self.srvReply(), id: 0x1234, name: "_grpc._tcp.store.test", type: .a) }
        // A query is not a reply.
        #expect(throws: DNSError.malformed("not a response (QR not set)")) {
            try DNSMessage.reply(Self.srvReply(flags: 0x0100), id: 0x1234, name: "_grpc._tcp.store.test", type: .srv)
        }
    }

    @Test func rejectsMalformedReplies() {
        let good = Self.srvReply()
        // Cut anywhere: an error, never a crash or a partial answer.
        for n in [0, 5, 12, 20, 40, good.count - 1] {
            #expect(throws: DNSError.self, "cut at \(n)") {
                try DNSMessage.reply(Array(good.prefix(n)), id: 0x1234, name: "_grpc._tcp.store.test", type: .srv)
            }
        }
        // A pointer to itself (a loop) and a pointer forward.
        var loop = good
        loop[12] = 0xC0
        loop[13] = 12
        #expect(throws: DNSError.self) { try DNSMessage.reply(loop, id: 0x1234, name: "_grpc._tcp.store.test", type: .srv) }
        var forward = good
        forward[12] = 0xC0
        forward[13] = 40
        #expect(throws: DNSError.self) { try DNSMessage.reply(forward, id: 0x1234, name: "_grpc._tcp.store.test", type: .srv) }
        // An A record with 5 bytes of data.
        var a: [UInt8] = [0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0x78, 4] + Array("test".utf8) + [0, 0, 1, 0, 1]
        a += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 5, 10, 0, 0, 1, 9]
        #expect(throws: DNSError.malformed("A record of x.test has 5 bytes")) { try DNSMessage.reply(a, id: 7, name: "x.test", type: .a) }
    }

    @Test func errorRepliesMayOmitTheQuestion() throws {
        let servfail: [UInt8] = [0, 9, 0x81, 0x82, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(try DNSMessage.reply(servfail, id: 9, name: "x.test", type: .a).rcode == 2)
        let noQuestion: [UInt8] = [0, 9, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSError.self) { try DNSMessage.reply(noQuestion, id: 9, name: "x.test", type: .a) }
    }

    @Test func addressTextAsGo() {
        func v6(_ groups: [UInt16]) -> String { IPText.v6(ArraySlice(groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })) }
        #expect(v6([0, 0, 0, 0, 0, 0, 0, 1]) == "::1")
        #expect(v6([0, 0, 0, 0, 0, 0, 0, 0]) == "::")
        #expect(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]) == "2001:db8::1")
        #expect(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]) == "fe80::")
        #expect(v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]) == "2001:db8:0:1:1:1:1:1")  // one zero group stays
        #expect(v6([1, 0, 0, 2, 0, 0, 0, 3]) == "1:0:0:2::3")  // the longest run
        #expect(v6([1, 0, 0, 2, 0, 0, 3, 4]) == "1::2:0:0:3:4")  // the first of equal runs
        #expect(v6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]) == "10.0.0.1")  // IPv4-mapped
        #expect(IPText.v4([127, 0, 0, 1]) == "127.0.0.1")
    }

    @Test func resolvConf() throws {
        let ns = Nameservers.resolvConf("""
            # comment
            nameserver 10.0.0.2
            nameserver fd00::53 ; trailing comment
            nameserver not-an-ip
            domain first.example
            search svc.cluster.local cluster.local
            options ndots:5 timeout:1 attempts:3
            """)
        #expect(ns.servers.map { DNSClient.text($0) } == ["10.0.0.2:53", "[fd00::53]:53"])
        #expect(ns.search == ["svc.cluster.local", "cluster.local"])
        #expect(ns.ndots == 5)
        // miekg's NameList: fewer labels than ndots → search domains first, the name last.
        #expect(ns.candidates("store") == ["store.svc.cluster.local", "store.cluster.local", "store"])
        #expect(ns.candidates("store.test.") == ["store.test."])
        let one = Nameservers(servers: ns.servers, search: ["example"], ndots: 1)
        #expect(one.candidates("store.test") == ["store.test", "store.test.example"])
        #expect(one.candidates("store") == ["store.example", "store"])
        #expect(Nameservers.resolvConf("options ndots:99\nnameserver 1.1.1.1").ndots == 15)
        #expect(throws: DNSError.self) { try Nameservers.resolvConf(path: "/nonexistent/resolv.conf") }
    }

    @Test func explicitNameserver() throws {
        #expect(try Nameservers.explicit("127.0.0.1:5353").servers.map { DNSClient.text($0) } == ["127.0.0.1:5353"])
        #expect(try Nameservers.explicit("[::1]:53").servers.map { DNSClient.text($0) } == ["[::1]:53"])
        for bad in ["127.0.0.1", "dns.example:53", ":53", "127.0.0.1:0", "::1:53", "[::1]53"] {
            #expect(throws: DNSError.self, "\(bad)") { try Nameservers.explicit(bad) }
        }
        #expect(try DNSClient(nameserver: "").source.isResolvConf)
    }
}

extension DNSClient.Source {
    var isResolvConf: Bool { if case .resolvConf = self { true } else { false } }
}
