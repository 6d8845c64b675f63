import Testing
import StrataTemplate

/// A template cannot hang or exhaust the ruler: output size, steps and template recursion
/// are bounded, and exponential growth is caught while it happens.
@Suite struct LimitsTests {
    @Test func outputIsBounded() async {
        let context = TemplateContext(limits: TemplateLimits(maxOutputBytes: 5000))
        let err = await failure(#"{{ range 100 }}{{ printf "%100s" "" }}{{ end }}"#, context: context)
        #expect(err == #"template: t:1:18: executing "t" at <{{printf "%100s" ""}}>: output exceeds 5000 bytes"#)
    }

    @Test func stepsAreBounded() async {
        let context = TemplateContext(limits: TemplateLimits(maxSteps: 1000))
        let err = await failure("{{ range 1000000000 }}{{ end }}", context: context)
        #expect(err?.hasSuffix("execution stopped after 1000 steps") == true)
        let loop = await failure(#"{{ range $i := 100000 }}{{ range $j := 100000 }}{{ end }}{{ end }}"#, context: context)
        #expect(loop?.hasSuffix("execution stopped after 1000 steps") == true)
    }

    @Test func recursionIsBounded() async {
        let err = await failure(#"{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}"#)
        #expect(err == #"template: t:1:28: executing "a" at <{{template "a" .}}>: exceeded maximum template depth (1000)"#)
    }

    @Test func stringGrowthIsBounded() async {
        let text = #"{{ $x := printf "%100000s" "" }}{{ $x = printf "%s%s%s%s%s%s%s%s%s%s%s" $x $x $x $x $x $x $x $x $x $x $x }}"#
        let err = await failure(text)
        #expect(err?.hasSuffix("error calling printf: result exceeds 1048576 bytes") == true)
    }

    @Test func nestedValuesPrintBounded() async {
        var text = "{{ $a := args 1 2 }}"
        for _ in 0..<40 { text += "{{ $a = args $a $a }}" }
        text += "{{ $a }}"
        let err = await failure(text)
        #expect(err?.hasSuffix("output exceeds 1048576 bytes") == true)
        let viaPrint = await failure("{{ $a := args 1 2 }}" + String(repeating: "{{ $a = args $a $a }}", count: 40) + "{{ print $a }}")
        #expect(viaPrint?.hasSuffix("error calling print: result exceeds 1048576 bytes") == true)
    }

    @Test func cancellationStopsExecution() async throws {
        let t = try Template(name: "t", text: "{{ range 100000000 }}{{ end }}")
        let task = Task {
            try await t.execute(data: .null, context: TemplateContext(limits: TemplateLimits(maxSteps: Int.max)))
        }
        task.cancel()
        await #expect(throws: TemplateError.self) { try await task.value }
    }
}
