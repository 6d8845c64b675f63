import Testing
@testable import StrataCore

@Suite struct LabelsTests {
    @Test func sortsDropsEmptyAndDedupes() {
        let l = Labels([Label("b", "2"), Label("a", "1"), Label("c", ""), Label("a", "3")])
        #expect(l.pairs == [Label("a", "3"), Label("b", "2")])
        #expect(l["c"] == "")
        #expect(l.description == "{a=\"3\", b=\"2\"}")
    }

    /// Pairs that already form a set are kept as given; sorted input with an empty value or a
    /// repeated name still goes through the full path.
    @Test func sortedInputIsKeptAndAlmostSortedIsNormalised() {
        let sorted = [Label("a", "1"), Label("b", "2")]
        #expect(Labels(sorted).pairs == sorted)
        #expect(Labels([Label("a", "1"), Label("a", "2"), Label("b", "2")]).pairs == [Label("a", "2"), Label("b", "2")])
        #expect(Labels([Label("a", ""), Label("b", "2")]).pairs == [Label("b", "2")])
        #expect(Labels([Label("Z", "1"), Label("a", "2")]).pairs == [Label("Z", "1"), Label("a", "2")])
        #expect(Labels([Label("a", "2"), Label("Z", "1")]).pairs == [Label("Z", "1"), Label("a", "2")])
    }

    @Test func comparesBytewiseAndPrefixFirst() {
        let a = Labels(["a": "1"])
        let ab = Labels(["a": "1", "b": "1"])
        #expect(a < ab)
        #expect(Labels(["Z": "1"]) < Labels(["a": "1"]))
        // Swift's Unicode ordering and byte ordering differ for these; Prometheus uses bytes.
        #expect(bytewiseLess("Z", "a"))
        #expect(bytewiseLess("a", "é"))
        #expect(Labels.compare(ab, ab) == 0)
    }

    @Test func quotesLikeGo() {
        #expect(goQuote("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"")
    }
}

@Suite struct MatcherTests {
    @Test func emptyValueMatchesMissingLabel() throws {
        let l = Labels(["job": "api"])
        #expect(l.matches([try Matcher(.equal, "env", "")]))
        #expect(!l.matches([try Matcher(.notEqual, "env", "")]))
        #expect(l.matches([try Matcher(.regexMatch, "env", ".*")]))
        #expect(!l.matches([try Matcher(.regexMatch, "env", ".+")]))
    }

    @Test func regexIsAnchored() throws {
        let m = try Matcher(.regexMatch, "job", "ap")
        #expect(!m.matches("api"))
        #expect(try Matcher(.regexMatch, "job", "a|api").matches("api"))
        #expect(try Matcher(.regexNoMatch, "job", "a.*").matches("b"))
        #expect(try Matcher(.regexMatch, "x", "a|b").setMatches == ["a", "b"])
        #expect(try Matcher(.regexMatch, "x", "a.*").setMatches == nil)
    }

    @Test func dotDoesNotMatchNewline() throws {
        #expect(!(try Matcher(.regexMatch, "x", ".*").matches("a\nb")))
    }

    @Test func hostileRegexRunsInLinearTime() throws {
        let m = try Matcher(.regexMatch, "x", "(a+)+b")
        let input = String(repeating: "a", count: 100_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(!m.matches(input)) }
        #expect(elapsed < .seconds(5))
    }

    @Test func invalidRegexIsAnError() {
        #expect(throws: RE2Regex.CompileError.self) { try Matcher(.regexMatch, "x", "a(") }
    }

    @Test func parsesSelectors() throws {
        let ms = try SeriesSelector.parse(#"up{job="api", code=~"5..", env!="", x!~'y'}"#)
        #expect(ms.map(\.description) == [#"__name__="up""#, #"job="api""#, #"code=~"5..""#, #"env!="""#, #"x!~"y""#])
        #expect(throws: SeriesSelector.ParseError.self) { try SeriesSelector.parse(#"{a=""}"#) }
        #expect(throws: SeriesSelector.ParseError.self) { try SeriesSelector.parse(#"{a="b""#) }
        #expect(throws: SeriesSelector.ParseError.self) { try SeriesSelector.parse(#"{a=~"("}"#) }
    }
}

@Suite struct ULIDTests {
    @Test func roundTrips() throws {
        let u = ULID(timestampMs: 1_567_641_600_000)
        let text = u.description
        #expect(text.count == 26)
        let back = try ULID(parsing: text)
        #expect(back == u)
        #expect(back.timestampMs == 1_567_641_600_000)
    }

    @Test func parsesKnown() throws {
        let u = try ULID(parsing: "01DN3SK96XDAEKRB1AN30AAW6E")
        #expect(u.description == "01DN3SK96XDAEKRB1AN30AAW6E")
        #expect(throws: ULID.ParseError.self) { try ULID(parsing: "01DN3SK96XDAEKRB1AN30AAW6") }
        #expect(throws: ULID.ParseError.self) { try ULID(parsing: "81DN3SK96XDAEKRB1AN30AAW6E") }
        #expect(throws: ULID.ParseError.self) { try ULID(parsing: "01DN3SK96XDAEKRB1AN30AAWU!") }
    }

    @Test func ordersByTime() {
        #expect(ULID(timestampMs: 1000) < ULID(timestampMs: 2000))
    }
}

@Suite struct TimeTests {
    @Test func durations() throws {
        #expect(try parseDuration("1h30m") == 5_400_000)
        #expect(try parseDuration("2d") == 172_800_000)
        #expect(try parseDuration("500ms") == 500)
        #expect(try parseDuration("1y2w3d4h5m6s7ms") == 31_536_000_000 + 1_209_600_000 + 259_200_000 + 14_400_000 + 300_000 + 6000 + 7)
        #expect(try parseDuration("0") == 0)
        for bad in ["", "1", "1m1h", "1h1h", "h", "-1h", "1.5h", "1x"] {
            #expect(throws: TimeParseError.self) { try parseDuration(bad) }
        }
        #expect(formatDuration(5_400_000) == "1h30m")
        #expect(formatDuration(0) == "0s")
    }

    @Test func timestamps() throws {
        #expect(try parseTimestamp("1700000000") == 1_700_000_000_000)
        #expect(try parseTimestamp("1700000000.123") == 1_700_000_000_123)
        #expect(try parseTimestamp("2023-11-14T22:13:20Z") == 1_700_000_000_000)
        #expect(try parseTimestamp("2023-11-14T22:13:20.5Z") == 1_700_000_000_500)
        #expect(try parseTimestamp("2023-11-15T00:13:20+02:00") == 1_700_000_000_000)
        #expect(throws: TimeParseError.self) { try parseTimestamp("yesterday") }
        #expect(formatRFC3339(1_700_000_000_500) == "2023-11-14T22:13:20.5Z")
        #expect(formatRFC3339(0) == "1970-01-01T00:00:00Z")
        #expect(formatRFC3339(-1) == "1969-12-31T23:59:59.999Z")
    }
}

@Suite struct FormattingTests {
    @Test func logfmtQuotesOnlyWhenNeeded() {
        #expect(StrataLogHandler.logfmtValue("plain") == "plain")
        #expect(StrataLogHandler.logfmtValue("two words") == "\"two words\"")
        #expect(StrataLogHandler.logfmtValue("a=b") == "\"a=b\"")
        #expect(StrataLogHandler.logfmtValue("") == "\"\"")
        #expect(StrataLogHandler.levelName(.warning) == "warn")
        #expect(throws: ConfigError.self) { try StrataLogHandler.bootstrap(level: "loud", format: "logfmt") }
        #expect(throws: ConfigError.self) { try StrataLogHandler.bootstrap(level: "info", format: "xml") }
    }

    @Test func jsonValueRoundTripsAndKeepsOrder() throws {
        let text = #"{"b": 1, "a": [true, null, -2.5, "x\u00e9\n"], "big": 9007199254740993}"#
        let v = try JSONValue(parsing: text)
        #expect(v["big"]?.int64Value == 9_007_199_254_740_993)
        #expect(v.serialized() == #"{"b":1,"a":[true,null,-2.5,"xé\n"],"big":9007199254740993}"#)
        #expect(try JSONValue(parsing: v.serialized(indent: "\t")) == v)
        for bad in ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1}}"] {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: bad) }
        }
        #expect(goJSONString("<&>") == #""\u003c\u0026\u003e""#)
    }

    /// Go's encoding/json escaping, on the plain fast path and off it.
    @Test func jsonStringsEscapeAsGoDoes() {
        #expect(goJSONString("") == #""""#)
        #expect(goJSONString("node-exporter:9100/metrics") == #""node-exporter:9100/metrics""#)
        #expect(goJSONString("a\"b\\c\nd\re\tf\u{01}") == #""a\"b\\c\nd\re\tf\u0001""#)
        #expect(goJSONString("é\u{2028}\u{2029}日") == "\"é\\u2028\\u2029日\"")
        var w = JSONBytes()
        w.string("x")
        w.string("<")
        #expect(w.string == #""x""\u003c""#)
    }
}
