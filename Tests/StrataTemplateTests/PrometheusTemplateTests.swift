import Testing
import StrataTemplate

/// Every case of Prometheus 3.14's template/template_test.go TestTemplateExpansion that runs
/// in text mode on float samples, with the expected output or error copied literally.
/// Not here: the html/template cases (ExpandHTML, `tmpl`) and the native-histogram cases.
@Suite struct PrometheusTemplateTests {
    static let maxInt64 = TemplateValue.int(Int64.max)
    static let minInt64 = TemplateValue.int(Int64.min)
    static let maxUint64 = TemplateValue.uint(UInt64.max)

    static func floats(_ v: [Double]) -> TemplateValue { .list(v.map { .float($0) }) }
    static func strings(_ v: [String]) -> TemplateValue { .list(v.map { .string($0) }) }
    static func ints(_ v: [Int64]) -> TemplateValue { .list(v.map { .int($0) }) }
    static func uints(_ v: [UInt64]) -> TemplateValue { .list(v.map { .uint($0) }) }

    static let metricA11 = [sample(["__name__": "metric", "instance": "a"], 11)]

    static let cases: [ExpansionCase] = [
        // No template.
        ExpansionCase(text: "plain text", output: "plain text"),
        // Simple value.
        ExpansionCase(text: "{{ 1 }}", output: "1"),
        // Non-ASCII space (not allowed in text/template).
        ExpansionCase(text: "{{\u{00A0}}}",
                      errorMsg: "error parsing template test: template: test:1: unrecognized character in action: U+00A0"),
        // HTML escaping doesn't apply to non-html.
        ExpansionCase(text: "{{ \"<b>\" }}", output: "<b>"),
        // Pass multiple arguments to templates.
        ExpansionCase(text: "{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}", output: "1 2"),
        ExpansionCase(text: "{{ query \"1.5\" | first | value }}", output: "1.5", queryResult: [sample([:], 1.5)]),
        // Get value from query.
        ExpansionCase(text: "{{ query \"metric{instance='a'}\" | first | value }}", output: "11", queryResult: metricA11),
        // Get label from query.
        ExpansionCase(text: "{{ query \"metric{instance='a'}\" | first | label \"instance\" }}", output: "a", queryResult: metricA11),
        // Get label "__value__" from query.
        ExpansionCase(text: "{{ query \"metric{__value__='a'}\" | first | strvalue }}", output: "a",
                      queryResult: [sample(["__name__": "metric", "__value__": "a"], 11)]),
        // Missing label is empty when using label function.
        ExpansionCase(text: "{{ query \"metric{instance='a'}\" | first | label \"foo\" }}", output: "", queryResult: metricA11),
        // Missing label is empty when not using label function.
        ExpansionCase(text: "{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}", output: "", queryResult: metricA11),
        // Range over query and sort by label.
        ExpansionCase(text: "{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{.Value}}: {{end}}",
                      output: "a:11: b:21: ",
                      queryResult: [sample(["__name__": "metric", "instance": "b"], 21), sample(["__name__": "metric", "instance": "a"], 11)]),
        // Simple hostname.
        ExpansionCase(text: "{{ \"foo.example.com\" | stripPort }}", output: "foo.example.com"),
        // Hostname with port.
        ExpansionCase(text: "{{ \"foo.example.com:12345\" | stripPort }}", output: "foo.example.com"),
        // Simple IPv4 address.
        ExpansionCase(text: "{{ \"192.0.2.1\" | stripPort }}", output: "192.0.2.1"),
        // IPv4 address with port.
        ExpansionCase(text: "{{ \"192.0.2.1:12345\" | stripPort }}", output: "192.0.2.1"),
        // Simple IPv6 address.
        ExpansionCase(text: "{{ \"2001:0DB8::1\" | stripPort }}", output: "2001:0DB8::1"),
        // IPv6 address with port.
        ExpansionCase(text: "{{ \"[2001:0DB8::1]:12345\" | stripPort }}", output: "2001:0DB8::1"),
        // Value can't be split into host and port.
        ExpansionCase(text: "{{ \"[2001:0DB8::1]::12345\" | stripPort }}", output: "[2001:0DB8::1]::12345"),
        // Missing value is no value for nil options.
        ExpansionCase(text: "{{ .Foo }}", output: "<no value>"),
        // Missing value is no value for no options.
        ExpansionCase(text: "{{ .Foo }}", output: "<no value>", missingKey: .invalid),
        // Assert that missing value returns error with missingkey=error.
        ExpansionCase(text: "{{ .Foo }}", missingKey: .error,
                      errorMsg: #"error executing template test: template: test:1:3: executing "test" at <.Foo>: nil data; no entry for key "Foo""#),
        // Unparsable template.
        ExpansionCase(text: "{{", errorMsg: "error parsing template test: template: test:1: unclosed action"),
        // Error in function.
        ExpansionCase(text: "{{ query \"missing\" | first }}",
                      errorMsg: "error executing template test: template: test:1:21: executing \"test\" at <first>: error calling first: first() called on vector with no elements"),
        // Panic.
        ExpansionCase(text: "{{ (query \"missing\").banana }}",
                      errorMsg: "error executing template test: template: test:1:10: executing \"test\" at <\"missing\">: can't evaluate field banana in type template.queryResult"),
        // Regex replacement.
        ExpansionCase(text: "{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}", output: "xa"),
        // Humanize - float64.
        ExpansionCase(text: "{{ range . }}{{ humanize . }}:{{ end }}", output: "0:1:1.235M:120m:", input: floats([0.0, 1.0, 1234567.0, 0.12])),
        // Humanize - string.
        ExpansionCase(text: "{{ range . }}{{ humanize . }}:{{ end }}", output: "0:1:1.235M:120m:", input: strings(["0.0", "1.0", "1234567.0", ".12"])),
        // Humanize - string with error.
        ExpansionCase(text: #"{{ humanize "one" }}"#,
                      errorMsg: #"error executing template test: template: test:1:3: executing "test" at <humanize "one">: error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax"#),
        // Humanize - int.
        ExpansionCase(text: "{{ range . }}{{ humanize . }}:{{ end }}", output: "0:-1:1:1.235M:9.223E:",
                      input: .list([.int(0), .int(-1), .int(1), .int(1234567), maxInt64])),
        // Humanize - uint.
        ExpansionCase(text: "{{ range . }}{{ humanize . }}:{{ end }}", output: "0:1:1.235M:18.45E:",
                      input: .list([.uint(0), .uint(1), .uint(1234567), maxUint64])),
        // Humanize1024 - float64.
        ExpansionCase(text: "{{ range . }}{{ humanize1024 . }}:{{ end }}", output: "0:1:1Mi:0.12:", input: floats([0.0, 1.0, 1048576.0, 0.12])),
        // Humanize1024 - string.
        ExpansionCase(text: "{{ range . }}{{ humanize1024 . }}:{{ end }}", output: "0:1:1Mi:0.12:", input: strings(["0.0", "1.0", "1048576.0", ".12"])),
        // Humanize1024 - string with error.
        ExpansionCase(text: #"{{ humanize1024 "one" }}"#,
                      errorMsg: #"error executing template test: template: test:1:3: executing "test" at <humanize1024 "one">: error calling humanize1024: strconv.ParseFloat: parsing "one": invalid syntax"#),
        // Humanize1024 - int.
        ExpansionCase(text: "{{ range . }}{{ humanize1024 . }}:{{ end }}", output: "0:-1:1:1.177Mi:8Ei:",
                      input: .list([.int(0), .int(-1), .int(1), .int(1234567), maxInt64])),
        // Humanize1024 - uint.
        ExpansionCase(text: "{{ range . }}{{ humanize1024 . }}:{{ end }}", output: "0:1:1.177Mi:16Ei:",
                      input: .list([.uint(0), .uint(1), .uint(1234567), maxUint64])),
        // HumanizeDuration - seconds - float64.
        ExpansionCase(text: "{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                      output: "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:",
                      input: floats([0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99])),
        // HumanizeDuration - seconds - string.
        ExpansionCase(text: "{{ range . }}{{ humanizeDuration . }}:{{ end }}", output: "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:",
                      input: strings(["0", "1", "60", "3600", "86400"])),
        // HumanizeDuration - subsecond and fractional seconds - float64.
        ExpansionCase(text: "{{ range . }}{{ humanizeDuration . }}:{{ end }}", output: "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:",
                      input: floats([0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345])),
        // HumanizeDuration - subsecond and fractional seconds - string.
        ExpansionCase(text: "{{ range . }}{{ humanizeDuration . }}:{{ end }}", output: "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:",
                      input: strings([".1", ".0001", ".12345", "60.1", "60.5", "1.2345", "12.345"])),
        // HumanizeDuration - string with error.
        ExpansionCase(text: #"{{ humanizeDuration "one" }}"#,
                      errorMsg: #"error executing template test: template: test:1:3: executing "test" at <humanizeDuration "one">: error calling humanizeDuration: strconv.ParseFloat: parsing "one": invalid syntax"#),
        // HumanizeDuration - int.
        ExpansionCase(text: "{{ range . }}{{ humanizeDuration . }}:{{ end }}", output: "0s:-1s:1s:14d 6h 56m 7s:", input: ints([0, -1, 1, 1234567])),
        // HumanizeDuration - uint.
        ExpansionCase(text: "{{ range . }}{{ humanizeDuration . }}:{{ end }}", output: "0s:1s:14d 6h 56m 7s:", input: uints([0, 1, 1234567])),
        // Humanize* Inf and NaN - float64.
        ExpansionCase(text: "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
                      output: "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:", input: floats([.infinity, -.infinity, .nan])),
        // Humanize* Inf and NaN - string.
        ExpansionCase(text: "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
                      output: "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:", input: strings(["+Inf", "-Inf", "NaN"])),
        // HumanizePercentage - model.SampleValue input - float64.
        ExpansionCase(text: "{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}",
                      output: "-22.22%:0%:12.35%:123.5%"),
        // HumanizePercentage - int.
        ExpansionCase(text: "{{ range . }}{{ humanizePercentage . }}:{{ end }}", output: "0%:-100%:100%:1.235e+08%:9.223e+20%:",
                      input: .list([.int(0), .int(-1), .int(1), .int(1234567), maxInt64])),
        // HumanizePercentage - uint.
        ExpansionCase(text: "{{ range . }}{{ humanizePercentage . }}:{{ end }}", output: "0%:100%:1.235e+08%:1.845e+21%:",
                      input: .list([.uint(0), .uint(1), .uint(1234567), maxUint64])),
        // HumanizePercentage - model.SampleValue input - string.
        ExpansionCase(text: #"{{ "-0.22222" | humanizePercentage }}:{{ "0.0" | humanizePercentage }}:{{ "0.1234567" | humanizePercentage }}:{{ "1.23456" | humanizePercentage }}"#,
                      output: "-22.22%:0%:12.35%:123.5%"),
        // HumanizePercentage - model.SampleValue input - string with error.
        ExpansionCase(text: #"{{ "one" | humanizePercentage }}"#,
                      errorMsg: #"error executing template test: template: test:1:11: executing "test" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax"#),
        // HumanizeTimestamp - int.
        ExpansionCase(text: "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}",
                      output: "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
                      input: ints([0, -1, 1, 1234567, 9223372036])),
        // HumanizeTimestamp - uint.
        ExpansionCase(text: "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}",
                      output: "1970-01-01 00:00:00 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
                      input: uints([0, 1, 1234567, 9223372036])),
        // HumanizeTimestamp - int with error.
        ExpansionCase(text: "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", input: .list([minInt64, maxInt64]),
                      errorMsg: #"error executing template test: template: test:1:16: executing "test" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64"#),
        // HumanizeTimestamp - uint with error.
        ExpansionCase(text: "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", input: .list([maxUint64]),
                      errorMsg: #"error executing template test: template: test:1:16: executing "test" at <humanizeTimestamp .>: error calling humanizeTimestamp: 1.8446744073709552e+19 cannot be represented as a nanoseconds timestamp since it overflows int64"#),
        // HumanizeTimestamp - model.SampleValue input - float64.
        ExpansionCase(text: "{{ 1435065584.128 | humanizeTimestamp }}", output: "2015-06-23 13:19:44.128 +0000 UTC"),
        // HumanizeTimestamp - model.SampleValue input - string.
        ExpansionCase(text: #"{{ "1435065584.128" | humanizeTimestamp }}"#, output: "2015-06-23 13:19:44.128 +0000 UTC"),
        // ToTime - model.SampleValue input - float64.
        ExpansionCase(text: #"{{ (1435065584.128 | toTime).Format "2006" }}"#, output: "2015"),
        // ToTime - model.SampleValue input - string.
        ExpansionCase(text: #"{{ ("1435065584.128" | toTime).Format "2006" }}"#, output: "2015"),
        // toDuration - input as float64 seconds, returns *time.Duration.
        ExpansionCase(text: "{{ (1800 | toDuration).String }}", output: "30m0s"),
        // toDuration - input as string seconds, returns *time.Duration.
        ExpansionCase(text: #"{{ ("1800" | toDuration).String }}"#, output: "30m0s"),
        // now - returns fixed timestamp as float64 seconds.
        ExpansionCase(text: "{{ now }}", output: "1.353755652e+09"),
        // now - returns fixed timestamp converted to formatted time string.
        ExpansionCase(text: #"{{ (now | toTime).Format "Mon Jan 2 15:04:05 2006" }}"#, output: "Sat Nov 24 11:14:12 2012"),
        // returns Unix milliseconds timestamp for 30 minutes ago.
        ExpansionCase(text: #"{{ ("-30m" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}"#, output: "1353753852000"),
        // Title.
        ExpansionCase(text: "{{ \"aa bb CC\" | title }}", output: "Aa Bb CC"),
        // toUpper.
        ExpansionCase(text: "{{ \"aa bb CC\" | toUpper }}", output: "AA BB CC"),
        // toLower.
        ExpansionCase(text: "{{ \"aA bB CC\" | toLower }}", output: "aa bb cc"),
        // Match.
        ExpansionCase(text: "{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}", output: "true false"),
        // graphLink.
        ExpansionCase(text: "{{ graphLink \"up\" }}", output: "/graph?g0.expr=up&g0.tab=0"),
        // tableLink.
        ExpansionCase(text: "{{ tableLink \"up\" }}", output: "/graph?g0.expr=up&g0.tab=1"),
        // pathPrefix.
        ExpansionCase(text: "{{ pathPrefix }}", output: "/path/prefix"),
        // externalURL.
        ExpansionCase(text: "{{ externalURL }}", output: "http://testhost:9090/path/prefix"),
        // parseDuration with positive duration (using printf to ensure the return is a string).
        ExpansionCase(text: "{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}", output: "3720.01"),
        // parseDuration with negative duration (using printf to ensure the return is a string).
        ExpansionCase(text: "{{ printf \"%0.2f\" (parseDuration \"-1h2m10ms\") }}", output: "-3720.01"),
        // Simple hostname.
        ExpansionCase(text: "{{ \"foo.example.com\" | stripDomain }}", output: "foo"),
        // Hostname with port.
        ExpansionCase(text: "{{ \"foo.example.com:12345\" | stripDomain }}", output: "foo:12345"),
        // Simple IPv4 address.
        ExpansionCase(text: "{{ \"192.0.2.1\" | stripDomain }}", output: "192.0.2.1"),
        // IPv4 address with port.
        ExpansionCase(text: "{{ \"192.0.2.1:12345\" | stripDomain }}", output: "192.0.2.1:12345"),
        // Simple IPv6 address.
        ExpansionCase(text: "{{ \"2001:0DB8::1\" | stripDomain }}", output: "2001:0DB8::1"),
        // IPv6 address with port.
        ExpansionCase(text: "{{ \"[2001:0DB8::1]:12345\" | stripDomain }}", output: "[2001:0DB8::1]:12345"),
        // Value can't be split into host and port.
        ExpansionCase(text: "{{ \"[2001:0DB8::1]::12345\" | stripDomain }}", output: "[2001:0DB8::1]::12345"),
    ]

    @Test(arguments: cases)
    func expansion(_ c: ExpansionCase) async {
        let (output, error) = await expandLikePrometheus(c)
        if let want = c.errorMsg {
            #expect(output == nil)
            #expect(error == want)
        } else {
            #expect(error == nil)
            #expect(output == c.output)
        }
    }

    // Test_floatToTime: the happy path and both overflow directions.
    @Test func floatToTime() async throws {
        #expect(try await run(#"{{ (1657155181 | toTime).Format "2006-01-02T15:04:05Z07:00" }}"#) == "2022-07-07T00:53:01Z")
        for v in ["1.79769313486231570814527423731704356798070e+300", "-1.79769313486231570814527423731704356798070e+300"] {
            let err = await failure("{{ \(v) | toTime }}")
            #expect(err?.hasSuffix("cannot be represented as a nanoseconds timestamp since it overflows int64") == true)
        }
    }
}
