import StrataCore
import StrataPromQL
import Testing
@testable import StrataQuery

/// The `/federate` writer and sample choice, against text written out by hand from
/// Prometheus's `expfmt` rules (FederationTests compares with a real Prometheus end to end).
@Suite struct FederationTextTests {
    static func sample(_ labels: [String: String], _ t: Int64, _ v: Double) -> FederatedSample {
        FederatedSample(labels: Labels(labels), t: t, v: v)
    }

    @Test func writesFamiliesLabelsAndValuesAsExpfmt() {
        let text = FederationText.write([
            Self.sample(["__name__": "a", "instance": "i", "job": "j"], 1, 1e6),
            Self.sample(["__name__": "a", "job": "k"], 2, -0.0),
            Self.sample(["__name__": "b:rec", "zone": "x\"y\\z\nw"], 3, 0.0001),
            Self.sample(["__name__": "b:rec", "zone": "2"], 4, 1.5e-7),
            Self.sample(["job": "nameless"], 5, 1),
            Self.sample(["__name__": "c", "Upper": "u"], 6, .nan),
            Self.sample(["__name__": "d"], -7, -.infinity),
        ], utf8Names: false)
        #expect(text == """
            # TYPE a untyped
            a{instance="i",job="j"} 1e+06 1
            a{job="k",instance=""} 0 2
            # TYPE b:rec untyped
            b:rec{zone="x\\"y\\\\z\\nw",instance=""} 0.0001 3
            b:rec{zone="2",instance=""} 1.5e-07 4
            # TYPE c untyped
            c{Upper="u",instance=""} NaN 6
            # TYPE d untyped
            d{instance=""} -Inf -7

            """)
    }

    /// Prometheus 3: names that are not legacy names are quoted when the scraper asked for
    /// `escaping=allow-utf-8`, and otherwise have their offending characters replaced by `_`.
    @Test func utf8NamesQuotedOrEscaped() {
        let s = [Self.sample(["__name__": "my.metric", "http.status": "200", "1st": "x"], 9, 2)]
        #expect(FederationText.write(s, utf8Names: true) == """
            # TYPE "my.metric" untyped
            {"my.metric","1st"="x","http.status"="200",instance=""} 2 9

            """)
        #expect(FederationText.write(s, utf8Names: false) == """
            # TYPE my_metric untyped
            my_metric{_st="x",http_status="200",instance=""} 2 9

            """)
    }

    /// The newest sample within the window, with its own timestamp; none when it is a
    /// staleness marker, a native histogram, or older than the window.
    @Test func newestSampleOfASeries() throws {
        let labels = Labels(["__name__": "m"])
        func series(_ ts: [Int64], _ vs: [Double], histogramAt: Int64? = nil) -> StorageSeries {
            var h = HistogramColumns()
            if let t = histogramAt { h.insert(t, FloatHistogram()) }
            return StorageSeries(labels: labels, samples: SampleColumns(timestamps: ts, values: vs), histograms: h)
        }
        #expect(try QueryAPI.newestSample(series([10, 20, 30], [1, 2, 3]), from: 5, to: 25)?.t == 20)
        #expect(try QueryAPI.newestSample(series([10, 20], [1, 2]), from: 5, to: 25)?.v == 2)
        #expect(try QueryAPI.newestSample(series([10, 20], [1, 2]), from: 5, to: 20)?.t == 20, "the window's end is included")
        #expect(try QueryAPI.newestSample(series([10, 20], [1, 2]), from: 10, to: 15)?.t == 10, "and so is its start")
        #expect(try QueryAPI.newestSample(series([10], [1]), from: 11, to: 25) == nil)
        #expect(try QueryAPI.newestSample(series([10, 20], [1, staleNaN]), from: 5, to: 25) == nil)
        #expect(try QueryAPI.newestSample(series([10], [1], histogramAt: 20), from: 5, to: 25) == nil)
        #expect(try QueryAPI.newestSample(series([30], [1], histogramAt: 20), from: 5, to: 35)?.t == 30)
    }
}
