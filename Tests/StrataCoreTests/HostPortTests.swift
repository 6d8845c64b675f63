import Testing
@testable import StrataCore

@Suite struct HostPortTests {
    @Test func splitsAsGoDoes() {
        #expect(HostPort.split("store:10901")! == ("store", 10901))
        #expect(HostPort.split("10.0.0.1:0")! == ("10.0.0.1", 0))
        #expect(HostPort.split(":9090")! == ("", 9090))
        #expect(HostPort.split("[::1]:10903")! == ("::1", 10903))
        #expect(HostPort.split("[fd00::1]:65535")! == ("fd00::1", 65535))
    }

    @Test func refusesWhatGoRefuses() {
        for bad in ["store", "store:", "store:x", "store:65536", "store:-1", "store:+1", "::1:53", "[::1]53",
                    "[::1", "[::1]", "a:b:c", "store:١٢"] {
            #expect(HostPort.split(bad) == nil, "\(bad)")
        }
    }
}
