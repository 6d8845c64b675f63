import Testing
import StrataTemplate

/// Alert label/annotation expansion as Prometheus's rules/alerting.go does it (cases from
/// rules/alerting_test.go and model/rulefmt/rulefmt_test.go where they exist).
@Suite struct AlertTemplateTests {
    static let defsLength = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}".utf8.count

    func expand(_ text: String, labels: [String: String] = ["instance": "h1:9100", "job": "node"],
                externalLabels: [String: String] = [:], externalURL: String = "http://prom.example.com",
                value: Double = 0.5, query: (@Sendable (String) async throws -> [TemplateSample])? = nil) async -> String {
        await AlertTemplate.expand(alertName: "HighLoad", text: text, labels: labels, externalLabels: externalLabels,
                                   externalURL: externalURL, value: value,
                                   context: TemplateContext(query: query, externalURL: externalURL, timestamp: 1_700_000_000))
    }

    @Test func labelsValueAndExternalData() async {
        #expect(await expand("{{ $labels.instance }} of {{ $labels.job }} is at {{ $value }}") == "h1:9100 of node is at 0.5")
        #expect(await expand("{{ .Labels.job }}/{{ .Value }}/{{ .ExternalURL }}") == "node/0.5/http://prom.example.com")
        #expect(await expand("{{ humanize $value }}", value: 1_234_567) == "1.235M")
        #expect(await expand("{{ $value | humanizePercentage }}", value: 0.1234567) == "12.35%")
        #expect(await expand("{{ printf \"%.2f\" $value }}", value: 2.0 / 3) == "0.67")
        #expect(await expand("The external URL is {{ $externalURL }}.") == "The external URL is http://prom.example.com.")
        #expect(await expand("") == "")
        #expect(await expand("plain") == "plain")
    }

    @Test func externalLabels() async {
        let text = "There are {{ len $externalLabels }} external Labels, of which foo is {{ $externalLabels.foo }}."
        #expect(await expand(text) == "There are 0 external Labels, of which foo is .")
        #expect(await expand(text, externalLabels: ["foo": "bar", "dings": "bums"]) == "There are 2 external Labels, of which foo is bar.")
    }

    @Test func missingLabelIsEmpty() async {
        // Prometheus executes with missingkey=zero: a missing label of $labels is "".
        #expect(await expand("[{{ $labels.nosuchlabel }}]") == "[]")
        #expect(await expand("[{{ index $labels \"nosuchlabel\" }}]") == "[]")
        #expect(await expand("{{ if $labels.nosuchlabel }}set{{ else }}unset{{ end }}") == "unset")
    }

    @Test func valueComparisons() async {
        let severity = "{{ if lt $value 80.0 }}critical{{ else }}warning{{ end }}"
        #expect(await expand(severity, value: 75) == "critical")
        #expect(await expand(severity, value: 85) == "warning")
        // $value is a float64: comparing it with an int constant is Go's comparison error.
        let col = Self.defsLength + 6
        #expect(await expand("{{ if gt $value 80 }}x{{ end }}", value: 85) ==
            "<error expanding template: error executing template __alert_HighLoad: template: __alert_HighLoad:1:\(col): executing \"__alert_HighLoad\" at <gt $value 80>: error calling gt: incompatible types for comparison: float64 and int>")
    }

    @Test func runtimeErrorBecomesTheValue() async {
        let col = Self.defsLength + 3
        #expect(await expand(#"{{ humanize "x" }}"#) ==
            #"<error expanding template: error executing template __alert_HighLoad: template: __alert_HighLoad:1:\#(col): executing "__alert_HighLoad" at <humanize "x">: error calling humanize: strconv.ParseFloat: parsing "x": invalid syntax>"#)
        #expect(await expand(#"{{ query "up" | first | value }}"#).hasPrefix(
            "<error expanding template: error executing template __alert_HighLoad: template: __alert_HighLoad:1:"))
        #expect(await expand("{{ $labels.job.x }}").hasSuffix("can't evaluate field x in type string>"))
    }

    @Test func parseErrorBecomesTheValue() async {
        #expect(await expand("{{ foo }}") ==
            #"<error expanding template: error parsing template __alert_HighLoad: template: __alert_HighLoad:1: function "foo" not defined>"#)
    }

    @Test func queryInTemplate() async {
        let text = """
        {{- with "sort(sum(http_requests) by (instance))" | query -}}
        {{- range $i,$v := . -}}
        instance: {{ $v.Labels.instance }}, value: {{ printf "%.0f" $v.Value }};
        {{- end -}}
        {{- end -}}

        """
        let got = await expand(text, query: { q in
            #expect(q == "sort(sum(http_requests) by (instance))")
            return [sample(["instance": "0"], 70), sample(["instance": "1"], 85)]
        })
        #expect(got == "instance: 0, value: 70;instance: 1, value: 85;")
    }

    @Test func queryErrorsAreReported() async {
        struct Boom: Error, CustomStringConvertible { var description: String { "query timed out" } }
        let got = await expand(#"{{ query "up" }}"#, query: { _ in throw Boom() })
        #expect(got.hasSuffix(#"at <query "up">: error calling query: query timed out>"#))
    }

    @Test func validateAcceptsAndRefuses() throws {
        try AlertTemplate.validate(alertName: "InstanceDown", text: "Instance {{ $labels.instance }} down")
        try AlertTemplate.validate(alertName: "InstanceDown", text: "{{ $value | humanize }} {{ $externalLabels.x }} {{ $externalURL }}")
        func error(_ text: String) -> String? {
            do {
                try AlertTemplate.validate(alertName: "InstanceDown", text: text)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(error("{{ foo }}") == #"template: __alert_InstanceDown:1: function "foo" not defined"#)
        #expect(error("Instance {{ $labels.instance ") == "template: __alert_InstanceDown:1: unclosed action")
        #expect(error("Instance {{ $label.instance }} down") == #"template: __alert_InstanceDown:1: undefined variable "$label""#)
        #expect(error("{{$this_is_wrong}}") == #"template: __alert_InstanceDown:1: undefined variable "$this_is_wrong""#)
        #expect(error("{{$labels.quantile * 100}}") == #"template: __alert_InstanceDown:1: unexpected "*" in operand"#)
        #expect(error("{{ if }}") == "template: __alert_InstanceDown:1: missing value for if")
        #expect(error("a\n{{ end }}") == "template: __alert_InstanceDown:2: unexpected {{end}}")
    }
}
