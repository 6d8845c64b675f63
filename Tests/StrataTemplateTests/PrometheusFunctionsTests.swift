import Testing
import StrataTemplate

/// Prometheus's template functions beyond template_test.go's cases: Go regexp semantics,
/// case mapping, durations, host names, and the sample helpers on query results.
@Suite struct PrometheusFunctionsTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var output: String
        var description: String { text }
    }

    static let cases: [Case] = [
        // reReplaceAll: Go's ReplaceAllString iteration and $ expansion.
        Case(text: #"{{ reReplaceAll "(?P<host>[^:]+):(?P<port>\\d+)" "${port}@$host" "h1:9100" }}"#, output: "9100@h1"),
        // Go reads "$1x" as the group named "1x", which does not exist.
        Case(text: #"{{ reReplaceAll "a" "$1x" "aaa" }}"#, output: ""),
        Case(text: #"{{ reReplaceAll "(a)" "$1x" "aaa" }}"#, output: ""),
        Case(text: #"{{ reReplaceAll "(a)" "${1}x" "aaa" }}"#, output: "axaxax"),
        Case(text: #"{{ reReplaceAll "a*" "-" "baaac" }}"#, output: "-b-c-"),
        Case(text: #"{{ reReplaceAll "" "-" "abc" }}"#, output: "-a-b-c-"),
        Case(text: #"{{ reReplaceAll "^a" "X" "aaa" }}"#, output: "Xaa"),
        Case(text: #"{{ reReplaceAll "\\b" "|" "ab cd" }}"#, output: "|ab| |cd|"),
        Case(text: #"{{ reReplaceAll "é" "e" "café é" }}"#, output: "cafe e"),
        Case(text: #"{{ reReplaceAll "x" "$$" "axb" }}"#, output: "a$b"),
        Case(text: #"{{ reReplaceAll ":.*" "" "host.example.com:9100" }}"#, output: "host.example.com"),
        Case(text: #"{{ "h1:9100" | reReplaceAll ":(.*)" ":<$1>" }}"#, output: "h1:<9100>"),
        // match is unanchored, like Go's regexp.MatchString.
        Case(text: #"{{ match "^a.c$" "abc" }} {{ match "b" "abc" }} {{ match "^b" "abc" }} {{ match "(?i)ABC" "abc" }}"#, output: "true true false true"),
        // Case mapping.
        Case(text: #"{{ title "hello world-wide web_site foo.bar don't" }}"#, output: "Hello World-Wide Web_site Foo.bar Don't"),
        Case(text: #"{{ toUpper "straße é ǆ" }} {{ toLower "ÀÉÎ İ" }}"#, output: "STRAßE É Ǆ àéî i"),
        // Links and escaping.
        Case(text: #"{{ graphLink "rate(x{a=\"b\"}[5m]) > 1" }}"#, output: "/graph?g0.expr=rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29+%3E+1&g0.tab=0"),
        Case(text: #"{{ urlQueryEscape "a b&c/d~e" }}"#, output: "a+b%26c%2Fd~e"),
        Case(text: #"{{ "<b>" | safeHtml }} {{ printf "%T" ("x" | safeHtml) }}"#, output: "<b> template.HTML"),
        // args.
        Case(text: #"{{ $a := args 1 "two" 3.5 }}{{ $a.arg0 }} {{ $a.arg1 }} {{ $a.arg2 }} {{ $a.arg3 }} {{ len $a }}"#, output: "1 two 3.5 <no value> 3"),
        // parseDuration and durations.
        Case(text: #"{{ parseDuration "1d" }} {{ parseDuration "0" }} {{ parseDuration "1w2d3h4m5s6ms" }} {{ parseDuration "90s" }}"#,
             output: "86400 0 788645.006 90"),
        Case(text: #"{{ (parseDuration "90m" | toDuration).String }} {{ (0.000001 | toDuration).String }} {{ (-61 | toDuration).String }}"#,
             output: "1h30m0s 1µs -1m1s"),
        Case(text: #"{{ ("1h" | parseDuration | toDuration).Minutes }} {{ (90 | toDuration).Seconds }} {{ (1.5 | toDuration).Milliseconds }}"#,
             output: "60 90 1500"),
        // Times.
        Case(text: #"{{ (1435065584.128 | toTime).Format "2006-01-02T15:04:05.000Z07:00 Mon Jan _2 3:04PM .999 002" }}"#,
             output: "2015-06-23T13:19:44.128Z Tue Jun 23 1:19PM .128 174"),
        Case(text: #"{{ (1435065584 | toTime).Format "Monday, January 2, 2006 15:04:05 -0700 MST" }}"#,
             output: "Tuesday, June 23, 2015 13:19:44 +0000 UTC"),
        Case(text: #"{{ $t := 1435065584 | toTime }}{{ $t.Unix }} {{ $t.Year }} {{ $t.YearDay }} {{ $t.Hour }} {{ ($t.Add 3600000000000).Hour }}"#,
             output: "1435065584 2015 174 13 14"),
        Case(text: #"{{ $t := 1435065584 | toTime }}{{ ($t.Truncate ("1h" | parseDuration | toDuration)).Format "15:04:05" }} {{ ($t.Sub (0 | toTime)).Hours | printf "%.1f" }}"#,
             output: "13:00:00 398629.3"),
        Case(text: #"{{ (-1 | toTime) }} {{ (951782400 | toTime).Format "2006-01-02 Mon" }} {{ (-86400 | toTime).Format "2006-01-02 Mon" }}"#,
             output: "1969-12-31 23:59:59 +0000 UTC 2000-02-29 Tue 1969-12-31 Wed"),
        // humanize extremes.
        Case(text: "{{ humanize 0.000000123 }} {{ humanize -1500 }} {{ humanize1024 1024 }} {{ humanize1024 -2048 }} {{ humanizeDuration 0.0000000001 }}",
             output: "123n -1.5k 1ki -2ki 100ps"),
        Case(text: #"{{ humanizeDuration 172800 }} {{ humanizeDuration -0.5 }} {{ humanizePercentage 1 }}"#,
             output: "2d 0h 0m 0s -500ms 100%"),
        // stripPort / stripDomain.
        Case(text: #"{{ stripPort "[::1]:80" }} {{ stripPort "host" }} {{ stripDomain "a.b.c:80" }} {{ stripDomain "[fe80::1]:80" }} {{ stripDomain "localhost" }}"#,
             output: "::1 host a:80 [fe80::1]:80 localhost"),
    ]

    @Test(arguments: cases)
    func output(_ c: Case) async throws {
        let got = try await run(c.text, missingKey: .zero)
        #expect(got == c.output)
    }

    @Test func sampleHelpersOnQueryResults() async throws {
        let results = [
            sample(["__name__": "up", "instance": "b", "job": "x"], 1),
            sample(["__name__": "up", "instance": "a", "job": "y"], 0),
            sample(["__name__": "up", "instance": "c", "job": "x"], 1),
        ]
        let context = TemplateContext(query: { q in q == "none" ? [] : results })
        let text = #"""
        {{- range query "up" | sortByLabel "job" }}{{ .Labels.job }}/{{ .Labels.instance }}={{ .Value }} {{ end -}}
        |{{ len (query "up") }}|{{ with query "none" }}some{{ else }}none{{ end }}|{{ (query "up" | first).Labels.instance }}
        |{{ range $i, $s := query "up" }}{{ $i }}:{{ label "instance" $s }}:{{ value $s }}:{{ strvalue $s }};{{ end }}
        |{{ index (query "up") 2 | label "instance" }}|{{ (index (query "up") 1).Value }}
        """#
        let got = try await run(text, missingKey: .zero, context: context)
        #expect(got == "x/b=1 x/c=1 y/a=0 |3|none|b\n|0:b:1:;1:a:0:;2:c:1:;\n|c|0")
    }

    @Test func functionErrors() async {
        #expect(await failure(#"{{ reReplaceAll "(" "x" "y" }}"#) ==
            #"template: t:1:3: executing "t" at <reReplaceAll "(" "x" "y">: error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`"#)
        #expect(await failure(#"{{ match "a[" "a" }}"#) ==
            #"template: t:1:3: executing "t" at <match "a[" "a">: error calling match: error parsing regexp: missing closing ]: `[`"#)
        #expect(await failure(#"{{ parseDuration "5x" }}"#) ==
            #"template: t:1:3: executing "t" at <parseDuration "5x">: error calling parseDuration: unknown unit "x" in duration "5x""#)
        #expect(await failure(#"{{ parseDuration "1m1h" }}"#) ==
            #"template: t:1:3: executing "t" at <parseDuration "1m1h">: error calling parseDuration: not a valid duration string: "1m1h""#)
        #expect(await failure(#"{{ parseDuration "" }}"#) ==
            #"template: t:1:3: executing "t" at <parseDuration "">: error calling parseDuration: empty duration string"#)
        #expect(await failure("{{ humanize true }}") ==
            #"template: t:1:3: executing "t" at <humanize true>: error calling humanize: can't convert bool to float"#)
        #expect(await failure("{{ humanize . }}") ==
            #"template: t:1:3: executing "t" at <humanize .>: error calling humanize: can't convert <nil> to float"#)
        // ConvertToFloat takes a time.Duration, not the *time.Duration toDuration returns.
        #expect(await failure(#"{{ humanizeDuration ("90s" | parseDuration | toDuration) }}"#) ==
            #"template: t:1:3: executing "t" at <humanizeDuration ("90s" | parseDuration | toDuration)>: error calling humanizeDuration: can't convert *time.Duration to float"#)
        #expect(await failure(#"{{ toTime "NaN" }}"#) ==
            #"template: t:1:3: executing "t" at <toTime "NaN">: error calling toTime: value is NaN or Inf"#)
        #expect(await failure("{{ first . }}", .list([])) ==
            #"template: t:1:9: executing "t" at <.>: wrong type for value; expected template.queryResult; got []interface {}"#)
        #expect(await failure(#"{{ label "x" nil }}"#) ==
            #"template: t:1:3: executing "t" at <label "x" nil>: error calling label: runtime error: invalid memory address or nil pointer dereference"#)
        #expect(await failure(#"{{ query "up" }}"#) ==
            #"template: t:1:3: executing "t" at <query "up">: error calling query: runtime error: invalid memory address or nil pointer dereference"#)
        #expect(await failure(#"{{ first 1 }}"#) ==
            #"template: t:1:9: executing "t" at <1>: can't handle 1 for arg of type template.queryResult"#)
    }

    @Test func onlyNamedFunctionsParse() throws {
        _ = try Template(name: "t", text: "{{ printf \"%d\" 1 }}", functions: .goBuiltins)
        #expect(throws: TemplateError.self) { try Template(name: "t", text: "{{ humanize 1 }}", functions: .goBuiltins) }
        #expect(TemplateFunctionNames.prometheus.names.isSuperset(of: [
            "query", "first", "label", "value", "strvalue", "sortByLabel", "args", "reReplaceAll", "safeHtml", "match",
            "title", "toUpper", "toLower", "graphLink", "tableLink", "stripPort", "stripDomain", "humanize", "humanize1024",
            "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration", "now", "pathPrefix",
            "externalURL", "parseDuration", "urlQueryEscape",
        ]))
    }
}
