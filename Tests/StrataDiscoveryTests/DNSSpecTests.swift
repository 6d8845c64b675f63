import StrataCore
import Testing
@testable import StrataDiscovery

/// The address forms of Thanos's pkg/discovery/dns (`GetQTypeName` + `dnsSD.Resolve`'s host
/// and port split), without any lookup.
@Suite struct DNSSpecTests {
    @Test func plainAddressesAreNotSpecs() throws {
        for a in ["store:10901", "10.0.0.1:10901", "[::1]:10901", "store"] {
            #expect(try DNSSpec.parse(a) == nil, "\(a)")
            #expect(!DNSSpec.isDynamic(a))
        }
    }

    @Test func prefixes() throws {
        #expect(try DNSSpec.parse("dns+store.test:10901") == DNSSpec(kind: .a, host: "store.test", port: 10901))
        #expect(try DNSSpec.parse("dnsdualstack+store.test:10901") == DNSSpec(kind: .dualStack, host: "store.test", port: 10901))
        #expect(try DNSSpec.parse("dnssrv+_grpc._tcp.store.test") == DNSSpec(kind: .srv, host: "_grpc._tcp.store.test", port: nil))
        // An explicit port overrides the SRV records' ports (Thanos's `resPort`).
        #expect(try DNSSpec.parse("dnssrv+_grpc._tcp.store.test:19090") == DNSSpec(kind: .srv, host: "_grpc._tcp.store.test", port: 19090))
        #expect(try DNSSpec.parse("dnssrvnoa+_grpc._tcp.store.test") == DNSSpec(kind: .srvNoA, host: "_grpc._tcp.store.test", port: nil))
        #expect(try DNSSpec.parse("dns+[::1]:9") == DNSSpec(kind: .a, host: "::1", port: 9))
        // Thanos keeps a scheme written after the prefix on every result.
        #expect(try DNSSpec.parse("dns+http://querier.test:9090") == DNSSpec(kind: .a, scheme: "http", host: "querier.test", port: 9090))
        #expect(DNSSpec.isDynamic("dnssrv+x"))
    }

    @Test func badSpecsSayWhatIsWrong() {
        func message(_ s: String) -> String {
            do {
                _ = try DNSSpec.parse(s)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message("dns+store.test").contains("needs a port"))
        #expect(message("dnsdualstack+store.test").contains("needs a port"))
        #expect(message("srv+store.test:1").contains("unknown DNS lookup \"srv+\""))
        #expect(message("dns+:10901").contains("no name"))
        #expect(message("dns+store.test:99999").contains("bad port"))
        #expect(message("dns+store.test:http").contains("bad port"))
        #expect(message("dns+[::1:9").contains("unclosed"))
    }

    @Test func resultAddresses() throws {
        #expect(DNSSpec(kind: .a, host: "h", port: 1).address("10.0.0.1", port: 9) == "10.0.0.1:9")
        #expect(DNSSpec(kind: .a, host: "h", port: 1).address("fd00::1", port: 9) == "[fd00::1]:9")
        #expect(DNSSpec(kind: .a, scheme: "http", host: "h", port: 1).address("10.0.0.1", port: 9) == "http://10.0.0.1:9")
    }
}
