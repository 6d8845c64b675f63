import Testing
@testable import StrataFrontend

@Suite struct RangeSplitTests {
    @Test func splitsAtDayBoundariesOnTheStepGrid() {
        let day: Int64 = 86_400_000
        let parts = RangeSplit.split(start: day - 3_600_000, end: 2 * day + 7_200_000, step: 600_000, interval: day)
        #expect(parts.count == 3)
        #expect(parts[0].start == day - 3_600_000 && parts[0].end == day - 600_000)
        #expect(parts[1].start == day && parts[1].end == 2 * day - 600_000)
        #expect(parts[2].start == 2 * day && parts[2].end == 2 * day + 7_200_000)
        // A grid that does not meet the boundary: parts still continue it.
        let odd = RangeSplit.split(start: 7000, end: day + 50_000, step: 7000, interval: day)
        #expect(odd.allSatisfy { ($0.start - 7000) % 7000 == 0 })
        #expect(zip(odd, odd.dropFirst()).allSatisfy { $1.start == $0.end + 7000 })
        #expect(RangeSplit.split(start: 5, end: 5, step: 1, interval: day).count == 1)
        #expect(RangeSplit.align(start: 1_700_000_123_456, end: 1_700_000_200_000, step: 60_000) == (1_700_000_100_000, 1_700_000_160_000))
    }

    @Test func gapsAroundExtents() {
        var ext = Extents()
        ext.add(.init(start: 100, end: 200, result: MatrixResult()), step: 10)
        ext.add(.init(start: 300, end: 400, result: MatrixResult()), step: 10)
        let g = QueryRangeCache.gaps(0, 500, step: 10, in: ext)
        #expect(g.map { [$0.0, $0.1] } == [[0, 90], [210, 290], [410, 500]])
        #expect(QueryRangeCache.gaps(100, 200, step: 10, in: ext).isEmpty)
        ext.add(.init(start: 210, end: 290, result: MatrixResult()), step: 10)
        #expect(ext.extents.count == 1 && ext.extents[0].start == 100 && ext.extents[0].end == 400)
    }

    @Test func extentsRoundTrip() throws {
        let body = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a\u003cb"},"values":[[1700000000,"1"],[1700000015.500,"NaN"]]}]}}"#
        let (m, w) = try MatrixResult.parse(Array(body.utf8))
        #expect(w.isEmpty)
        #expect(String(decoding: m.responseBody(warnings: []), as: UTF8.self) == body)
        let ext = Extents(extents: [.init(start: 1, end: 2, result: m)])
        #expect(Extents(decoding: ext.encoded) == ext)
        #expect(Extents(decoding: Array(ext.encoded.dropLast())) == nil)
    }

    /// Native histogram points and infos survive parsing, caching and merging byte for byte,
    /// including a series that switches from floats to histograms.
    @Test func histogramsAndInfosRoundTrip() throws {
        let h1 = #"{"count":"3","sum":"0.5","buckets":[[0,"0.5","1","2"],[3,"-0.001","0.001","1"]]}"#
        let h2 = #"{"count":"0","sum":"0"}"#
        let body = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"h"},"histograms":[[1700000000,"#
            + h1 + #"],[1700000060,"# + h2 + #"]]},{"metric":{"__name__":"m"},"values":[[1700000000,"1"]],"histograms":[[1700000060,"#
            + h2 + #"]]}]},"warnings":["w"],"infos":["PromQL info: i (1:1)"]}"#
        let (m, w) = try MatrixResult.parse(Array(body.utf8))
        #expect(w.count == 2)
        #expect(String(decoding: m.responseBody(warnings: w), as: UTF8.self) == body)
        let ext = Extents(extents: [.init(start: 1, end: 2, result: m)])
        #expect(Extents(decoding: ext.encoded) == ext)
        let halves = [m.trimmed(1_700_000_000_000, 1_700_000_000_000), m.trimmed(1_700_000_060_000, 1_700_000_060_000)]
        #expect(MatrixResult.merge(halves) == m)
    }
}
