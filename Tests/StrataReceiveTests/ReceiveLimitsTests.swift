@testable import StrataReceive
import Testing

@Suite struct ReceiveLimitsTests {
    @Test func parsesAndOverlaysThanosLimits() throws {
        let l = try ReceiveLimits.parse("""
            write:
              global:
                max_concurrency: 30
              default:
                request:
                  size_bytes_limit: 1024
                  series_limit: 1000
                  samples_limit: 10
                head_series_limit: 1000
              tenants:
                acme:
                  request:
                    series_limit: 5
                  head_series_limit: 2000
                free:
            """)
        #expect(l.maxConcurrency == 30)
        #expect(l.limits(for: "other") == .init(request: .init(sizeBytes: 1024, series: 1000, samples: 10), headSeries: 1000))
        #expect(l.limits(for: "acme") == .init(request: .init(sizeBytes: 1024, series: 5, samples: 10), headSeries: 2000))
        #expect(l.limits(for: "free") == l.defaults)
        #expect(try ReceiveLimits.parse("") == ReceiveLimits())
    }

    @Test func zeroIsNoLimit() {
        #expect(!ReceiveLimits.exceeds(1_000_000, 0))
        #expect(!ReceiveLimits.exceeds(1_000_000, nil))
        #expect(!ReceiveLimits.exceeds(10, 10))
        #expect(ReceiveLimits.exceeds(11, 10))
    }

    @Test(arguments: [
        ("write:\n  defaults: {}\n", "field defaults not found"),
        ("write:\n  default:\n    request:\n      series: 3\n", "field series not found"),
        ("write:\n  default:\n    head_series_limit: many\n", "expected an integer"),
        ("write:\n  global:\n    meta_monitoring_url: http://p:9090\n", "not supported"),
        ("write: [1]\n", "expected a mapping"),
    ])
    func refusesBadFiles(text: String, message: String) {
        #expect { try ReceiveLimits.parse(text) } throws: { "\($0)".contains(message) }
    }
}
