import Testing
import StrataTemplate

/// Go text/template behaviour. Expected outputs are Go's (most from text/template's
/// exec_test.go, with the test data rebuilt from template values; Go's `tVal` struct is a
/// `map[string]interface {}` here).
@Suite struct GoSemanticsTests {
    static let tVal: TemplateValue = .map([
        "I": .int(17), "U16": .uint(16), "X": .string("x"), "FloatZero": .float(0), "True": .bool(true),
        "U": .map(["V": .string("v")]),
        "SI": .list([.int(3), .int(4), .int(5)]), "SIEmpty": .list([]), "SB": .list([.bool(true), .bool(false)]),
        "AI": .list([.int(3), .int(4), .int(5)]), "PSI": .list([.int(21), .int(22), .int(23)]),
        "MSI": .map(["one": .int(1), "two": .int(2), "three": .int(3)]), "MSIone": .map(["one": .int(1)]), "MSIEmpty": .map([:]),
        "SMSI": .list([.map(["one": .int(1), "two": .int(2)]), .map(["eleven": .int(11), "twelve": .int(12)])]),
        "Empty0": .null, "Empty1": .int(3), "Empty2": .string("empty2"), "Empty3": .list([.int(7), .int(8)]),
        "S": .string("xyz"), "Labels": .stringMap(["job": "api", "instance": "h1"]),
    ])

    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var output: String
        var data: TemplateValue = GoSemanticsTests.tVal
        var description: String { text }
    }

    static let outputs: [Case] = [
        // Variables and scoping.
        Case(text: "{{$}}", output: "123", data: .int(123)),
        Case(text: "{{$.I}}", output: "17"),
        Case(text: "{{$.U.V}}", output: "v"),
        Case(text: "{{$x := $.U.V}}{{$x}}", output: "v"),
        Case(text: "{{$x := 2}}{{$x = 3}}{{$x}}", output: "3"),
        Case(text: "{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}", output: "3"),
        Case(text: "{{$x := 1}}{{if true}}{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{end}}{{$x}}", output: "1"),
        Case(text: "{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}", output: "true,17"),
        Case(text: "{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}", output: "17,true"),
        Case(text: "{{range $x := .PSI}}<{{$foo:=$x}}{{$x}}>{{end}}", output: "<21><22><23>"),
        Case(text: "{{$i := 0}}{{$x := 0}}{{range $i = .AI}}{{end}}{{$i}}", output: "5"),
        Case(text: "{{$k := 0}}{{$v := 0}}{{range $k, $v = .AI}}{{$k}}={{$v}} {{end}}", output: "0=3 1=4 2=5 "),
        Case(text: "{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}", output: "v"),
        Case(text: "{{range .SI}}{{$.I}}{{end}}", output: "171717"),
        // Empty interfaces and missing values (Go's default missingkey).
        Case(text: "{{.Empty0}}", output: "<no value>"),
        Case(text: "{{.Empty1}}", output: "3"),
        Case(text: "{{.Empty2}}", output: "empty2"),
        Case(text: "{{.Empty3}}", output: "[7 8]"),
        Case(text: "{{.foo}}", output: "<no value>", data: .null),
        Case(text: "{{(.).foo}}", output: "<no value>", data: .null),
        Case(text: "{{.Missing}}", output: "<no value>"),
        Case(text: "{{.Labels.missing}}", output: "<no value>"),
        Case(text: "{{(1)}}", output: "1"),
        // If / else if / with.
        Case(text: "{{if true}}TRUE{{end}}", output: "TRUE"),
        Case(text: "{{if false}}TRUE{{else}}FALSE{{end}}", output: "FALSE"),
        Case(text: "{{if 1}}NON-ZERO{{else}}ZERO{{end}}", output: "NON-ZERO"),
        Case(text: "{{if 0}}NON-ZERO{{else}}ZERO{{end}}", output: "ZERO"),
        Case(text: "{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}", output: "NON-ZERO"),
        Case(text: "{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}", output: "ZERO"),
        Case(text: "{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}", output: "EMPTY"),
        Case(text: "{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}", output: "NON-EMPTY"),
        Case(text: "{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", output: "EMPTY"),
        Case(text: "{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}", output: "NON-EMPTY"),
        Case(text: "{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", output: "EMPTY"),
        Case(text: "{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}", output: "NON-EMPTY"),
        Case(text: "{{if .Empty0}}non-nil{{else}}nil{{end}}", output: "nil"),
        Case(text: "{{if false}}FALSE{{else if true}}TRUE{{end}}", output: "TRUE"),
        Case(text: "{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}", output: "3"),
        Case(text: "{{if eq 1 3}}1{{else if eq 2 3}}2{{else}}none{{end}}", output: "none"),
        Case(text: "{{with true}}{{.}}{{end}}", output: "true"),
        Case(text: "{{with false}}{{.}}{{else}}FALSE{{end}}", output: "FALSE"),
        Case(text: "{{with 1.5}}{{.}}{{else}}ZERO{{end}}", output: "1.5"),
        Case(text: "{{with .SI}}{{.}}{{else}}EMPTY{{end}}", output: "[3 4 5]"),
        Case(text: "{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}", output: "map[one:1]"),
        Case(text: "{{with $x := .I}}{{$x}}{{end}}", output: "17"),
        Case(text: "{{with $x := $}}{{$x.U.V}}{{end}}", output: "v"),
        Case(text: "{{with 0}}{{.}}{{else with true}}{{.}}{{end}}", output: "true"),
        Case(text: "{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}", output: "notempty"),
        // Range.
        Case(text: "{{range .SI}}-{{.}}-{{end}}", output: "-3--4--5-"),
        Case(text: "{{range .SIEmpty}}-{{.}}-{{end}}", output: ""),
        Case(text: "{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}", output: "-3--4--5-"),
        Case(text: "{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", output: "EMPTY"),
        Case(text: "{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}", output: "-3-"),
        Case(text: "{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}", output: "-3--4--5-"),
        Case(text: "{{range .SI}}{{if eq . 4}}{{continue}}{{end}}{{.}}{{end}}", output: "35"),
        Case(text: "{{range .SB}}-{{.}}-{{end}}", output: "-true--false-"),
        Case(text: "{{range .MSI}}-{{.}}-{{end}}", output: "-1--3--2-"),
        Case(text: "{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", output: "EMPTY"),
        Case(text: "{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}", output: "-7--8-"),
        Case(text: "{{range .Empty0}}-{{.}}-{{end}}", output: ""),
        Case(text: "{{range $x := .SI}}<{{$x}}>{{end}}", output: "<3><4><5>"),
        Case(text: "{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}", output: "<0=3><1=4><2=5>"),
        Case(text: "{{range $x := .MSIone}}<{{$x}}>{{end}}", output: "<1>"),
        Case(text: "{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}", output: "<one=1>"),
        Case(text: "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", output: "instance=h1;job=api;"),
        Case(text: "{{range $k, $v := .}}{{$k}},{{end}}", output: "B,a,b,é,", data: .stringMap(["a": "", "é": "", "B": "", "b": ""])),
        Case(text: #"{{range $v := 5}}{{printf "%T%d" $v $v}}{{end}}"#, output: "int0int1int2int3int4"),
        Case(text: "{{range $v := .}}{{print $v}}{{else}}empty{{end}}", output: "empty", data: .uint(0)),
        Case(text: "{{range .SMSI}}{{.one}}{{.eleven}};{{end}}", output: "1<no value>;<no value>11;"),
        Case(text: "{{range $i, $e := .SI}}{{if $i}}, {{end}}{{$e}}{{end}}", output: "3, 4, 5"),
        // Pipelines: the piped value is the last argument.
        Case(text: #"{{"x" | printf "%s-%s" "a"}}"#, output: "a-x"),
        Case(text: "{{.SI | len}}", output: "3"),
        Case(text: "{{1 | and 1}}", output: "1"),
        Case(text: "{{0 | and 1}}", output: "0"),
        Case(text: "{{1 | or 0}}", output: "1"),
        Case(text: "{{0 | or 0}}", output: "0"),
        Case(text: #"{{"aaa"|printf }}"#, output: "aaa"),
        Case(text: "{{(args 1 2).arg1}}", output: "2"),
        Case(text: "{{(.U).V}}", output: "v"),
        Case(text: "{{($).X}}", output: "x"),
        // Booleans.
        Case(text: "{{not true}} {{not false}}", output: "false true"),
        Case(text: "{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}", output: "false 0 0 1"),
        Case(text: "{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}", output: "0 1 true 1"),
        Case(text: "{{or 0 1 (index .SI 99)}}", output: "1"),
        Case(text: "{{and 1 0 (index .SI 99)}}", output: "0"),
        Case(text: "{{and 1 .Unknown}}", output: "<no value>", data: .map([:])),
        Case(text: "{{or 0 .Unknown}}", output: "<no value>", data: .map([:])),
        Case(text: "{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}", output: "TRUE"),
        Case(text: "{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}", output: "FALSE"),
        Case(text: "{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}", output: "FALSE"),
        Case(text: #"{{or .SI "slice is empty"}}"#, output: "[3 4 5]"),
        Case(text: #"{{or .SIEmpty "slice is empty"}}"#, output: "slice is empty"),
        // Index, slice, len.
        Case(text: "{{index .SI 0}}", output: "3"),
        Case(text: "{{index .SI 1}}", output: "4"),
        Case(text: "{{index .MSI `one`}}", output: "1"),
        Case(text: "{{index .MSI `XXX`}}", output: "<no value>"),
        Case(text: "{{index .Labels `job`}}", output: "api"),
        Case(text: "{{index .Labels `XXX`}}", output: ""),
        Case(text: "{{index .SMSI 1 `eleven`}}", output: "11"),
        Case(text: "{{index .Empty3 0}}", output: "7"),
        Case(text: "{{index `x` 0}}", output: "120"),
        Case(text: "{{slice .SI}}", output: "[3 4 5]"),
        Case(text: "{{slice .SI 1}}", output: "[4 5]"),
        Case(text: "{{slice .SI 1 2}}", output: "[4]"),
        Case(text: "{{slice .S}}", output: "xyz"),
        Case(text: "{{slice .S 0 1}}", output: "x"),
        Case(text: "{{slice .S 1}}", output: "yz"),
        Case(text: "{{slice .S 1 2}}", output: "y"),
        Case(text: "{{slice .Empty3 0 1}}", output: "[7]"),
        Case(text: "{{len .SI}}", output: "3"),
        Case(text: "{{len .MSI }}", output: "3"),
        Case(text: "{{len .Empty3}}", output: "2"),
        Case(text: "{{len `héllo`}}", output: "6"),
        Case(text: "{{len .Labels}}", output: "2"),
        // Comparisons.
        Case(text: "{{eq 3 4 5 6 3}} {{eq 3 4 5 6 7}}", output: "true false"),
        Case(text: "{{eq `xy` `xy`}} {{ne `xy` `xyz`}} {{lt `xy` `xyz`}} {{le 2 1}} {{gt 2.5 1.5}} {{ge 1 1}}", output: "true true true false true true"),
        Case(text: "{{eq .U16 16}} {{lt -1 .U16}} {{gt .U16 -1}} {{eq (index `x` 0) 'x'}}", output: "true true true true"),
        Case(text: "{{eq .Labels.job `api`}} {{eq .Missing `api`}}", output: "true false"),
        Case(text: "{{eq .Empty0 .Empty0}} {{eq .Empty0 nil}}", output: "true true"),
        Case(text: "{{lt `Z` `a`}} {{lt `a` `é`}}", output: "true true"),
        // Templates.
        Case(text: #"{{define "x"}}[{{.}}]{{end}}{{template "x" 1}}{{template "x" "a"}}"#, output: "[1][a]"),
        Case(text: #"{{define "x"}}{{$}}{{end}}{{$y := 5}}{{template "x" .I}}"#, output: "17"),
        Case(text: #"a({{block "inner" .}}bar({{.}})baz{{end}})b"#, output: "a(bar(hello)baz)b", data: .string("hello")),
        Case(text: #"{{define "t"}}replaced{{end}}"#, output: "replaced"),
        Case(text: "{{template `x`}}{{define `x`}}no dot: {{.}}{{end}}", output: "no dot: <no value>"),
        // Trim markers and comments.
        Case(text: "x \r\n\t{{- 3 -}}\n\n\ty", output: "x3y"),
        Case(text: "{{-3}}", output: "-3"),
        Case(text: "a {{- /* comment */ -}} b", output: "ab"),
        Case(text: "a {{/* comment */}} b", output: "a  b"),
        Case(text: "a{{/* multi\nline */}}b", output: "ab"),
        Case(text: "{{ 1 }} {{- 2 }}\n{{- 3 -}}\n  x", output: "123x"),
        Case(text: "{{\n.I\n}}", output: "17"),
        // Numbers (Go literals).
        Case(text: "{{print 1234}} {{print 12_34}} {{print 0b101}} {{print 0B101}} {{print 0377}} {{print 0o377}}", output: "1234 1234 5 5 255 255"),
        Case(text: "{{print 0x123}} {{print 0x1_23}} {{print 0X123ABC}} {{print 123.4}} {{print 0_0_1_2_3.4}}", output: "291 291 1194684 123.4 123.4"),
        Case(text: "{{print +0x1.ep+2}} {{print +0X1.EP+2}} {{print 1_2_3_4 7.5_00_00_00}}", output: "7.5 7.5 1234 7.5"),
        Case(text: "{{printf `%T` 0xef}} {{printf `%T` 0XEE}} {{printf `%T` 1.0}} {{printf `%T` 'a'}} {{printf `%T` 1e3}}", output: "int int float64 int float64"),
        Case(text: "{{'a'}} {{'\\n'}} {{'\\x41'}} {{'\\u00e9'}} {{1e6}} {{1e-7}} {{123456.0}} {{-0.5}}", output: "97 10 65 233 1e+06 1e-07 123456 -0.5"),
        Case(text: "{{\"a\\tb\\u00e9\\x41\\101\"}} {{`raw\\n`}}", output: "a\tbéAA raw\\n"),
        // Escapers.
        Case(text: #"{{html "<script>alert(\"XSS\");</script>"}}"#, output: "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"),
        Case(text: #"{{printf "<script>alert(\"XSS\");</script>" | html}}"#, output: "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"),
        Case(text: "{{html .Empty0}}", output: "&lt;no value&gt;"),
        Case(text: "{{js .}}", output: #"It\'d be nice."#, data: .string("It'd be nice.")),
        Case(text: #"{{js "<html> = &"}}"#, output: #"\u003Chtml\u003E \u003D \u0026"#),
        Case(text: #"{{"http://www.example.org/"|urlquery}}"#, output: "http%3A%2F%2Fwww.example.org%2F"),
        Case(text: #"{{urlquery "a b" 1 2}}"#, output: "a+b1+2"),
    ]

    @Test(arguments: outputs)
    func output(_ c: Case) async throws {
        let got = try await run(c.text, c.data)
        #expect(got == c.output)
    }

    struct ErrorCase: Sendable, CustomStringConvertible {
        var text: String
        var error: String
        var data: TemplateValue = GoSemanticsTests.tVal
        var missingKey: MissingKey = .invalid
        var description: String { text }
    }

    static let errors: [ErrorCase] = [
        ErrorCase(text: "{{index .SI 10}}", error: #"template: t:1:2: executing "t" at <index .SI 10>: error calling index: index out of range: 10"#),
        ErrorCase(text: "{{index .SI 3}}", error: #"template: t:1:2: executing "t" at <index .SI 3>: error calling index: reflect: slice index out of range"#),
        ErrorCase(text: "{{index .SI `hello`}}", error: #"template: t:1:2: executing "t" at <index .SI `hello`>: error calling index: cannot index slice/array with type string"#),
        ErrorCase(text: "{{index .SI nil}}", error: #"template: t:1:2: executing "t" at <index .SI nil>: error calling index: cannot index slice/array with nil"#),
        ErrorCase(text: "{{index .MSI 10}}", error: #"template: t:1:2: executing "t" at <index .MSI 10>: error calling index: value has type int; should be string"#),
        ErrorCase(text: "{{index nil 1}}", error: #"template: t:1:2: executing "t" at <index nil 1>: error calling index: index of untyped nil"#),
        ErrorCase(text: "{{slice .SI -1}}", error: #"template: t:1:2: executing "t" at <slice .SI -1>: error calling slice: index out of range: -1"#),
        ErrorCase(text: "{{slice .SI 2 1}}", error: #"template: t:1:2: executing "t" at <slice .SI 2 1>: error calling slice: invalid slice index: 2 > 1"#),
        ErrorCase(text: "{{slice .SI 4 5}}", error: #"template: t:1:2: executing "t" at <slice .SI 4 5>: error calling slice: index out of range: 4"#),
        ErrorCase(text: "{{slice .S 1 2 2}}", error: #"template: t:1:2: executing "t" at <slice .S 1 2 2>: error calling slice: cannot 3-index slice a string"#),
        ErrorCase(text: "{{len 3}}", error: #"template: t:1:2: executing "t" at <len 3>: error calling len: len of type int"#),
        ErrorCase(text: "{{len .Empty0}}", error: #"template: t:1:2: executing "t" at <len .Empty0>: error calling len: len of nil pointer"#),
        ErrorCase(text: "{{3 2}}", error: #"template: t:1:2: executing "t" at <3>: can't give argument to non-function 3"#),
        ErrorCase(text: "{{$x := 1}}{{$x 2}}", error: #"template: t:1:13: executing "t" at <$x>: can't give argument to non-function $x"#),
        ErrorCase(text: "{{true|printf}}", error: #"template: t:1:7: executing "t" at <printf>: wrong type for value; expected string; got bool"#),
        ErrorCase(text: "{{1|printf}}", error: #"template: t:1:4: executing "t" at <printf>: wrong type for value; expected string; got int"#),
        ErrorCase(text: "{{printf 1}}", error: #"template: t:1:9: executing "t" at <1>: expected string; found 1"#),
        ErrorCase(text: "{{toUpper .I}}", error: #"template: t:1:10: executing "t" at <.I>: wrong type for value; expected string; got int"#),
        ErrorCase(text: "{{humanize}}", error: #"template: t:1:2: executing "t" at <humanize>: wrong number of args for humanize: want 1 got 0"#),
        ErrorCase(text: "{{eq}}", error: #"template: t:1:2: executing "t" at <eq>: wrong number of args for eq: want at least 1 got 0"#),
        ErrorCase(text: "{{eq 1}}", error: #"template: t:1:2: executing "t" at <eq 1>: error calling eq: missing argument for comparison"#),
        ErrorCase(text: "{{(nil).True}}", error: #"template: t:1:3: executing "t" at <nil>: nil is not a command"#),
        ErrorCase(text: "{{.X.Y}}", error: #"template: t:1:4: executing "t" at <.X.Y>: can't evaluate field X in type int"#, data: .int(0)),
        ErrorCase(text: "{{$x := 1}}{{$x.y}}", error: #"template: t:1:15: executing "t" at <$x.y>: can't evaluate field y in type int"#),
        ErrorCase(text: "{{.X.Y}}", error: #"template: t:1:4: executing "t" at <.X.Y>: can't evaluate field Y in type interface {}"#),
        ErrorCase(text: "{{.Empty0.Y}}", error: #"template: t:1:9: executing "t" at <.Empty0.Y>: nil pointer evaluating interface {}.Y"#),
        ErrorCase(text: "{{.I 1}}", error: #"template: t:1:2: executing "t" at <.I>: I is not a method but has arguments"#),
        ErrorCase(text: #"{{eq "xy" 1}}"#, error: #"template: t:1:2: executing "t" at <eq "xy" 1>: error calling eq: incompatible types for comparison: string and int"#),
        ErrorCase(text: "{{eq 2 2.0}}", error: #"template: t:1:2: executing "t" at <eq 2 2.0>: error calling eq: incompatible types for comparison: int and float64"#),
        ErrorCase(text: "{{lt true true}}", error: #"template: t:1:2: executing "t" at <lt true true>: error calling lt: invalid type for comparison"#),
        ErrorCase(text: "{{gt .SI 1}}", error: #"template: t:1:2: executing "t" at <gt .SI 1>: error calling gt: invalid type for comparison"#),
        ErrorCase(text: "{{eq .MSI .MSI}}", error: #"template: t:1:2: executing "t" at <eq .MSI .MSI>: error calling eq: non-comparable type map[one:%!s(int=1) three:%!s(int=3) two:%!s(int=2)]: map[string]interface {}"#),
        ErrorCase(text: #"{{template "nope"}}"#, error: #"template: t:1:11: executing "t" at <{{template "nope"}}>: template "nope" not defined"#),
        ErrorCase(text: "{{range true}}{{end}}", error: #"template: t:1:8: executing "t" at <true>: range can't iterate over true"#),
        ErrorCase(text: "{{range $i, $v := 3}}{{end}}", error: #"template: t:1:18: executing "t" at <3>: can't use 3 to iterate over more than one variable"#),
        ErrorCase(text: "{{nil}}", error: #"template: t:1:2: executing "t" at <nil>: nil is not a command"#),
        ErrorCase(text: "{{call .I}}", error: #"template: t:1:2: executing "t" at <call .I>: error calling call: non-function .I of type int"#),
        ErrorCase(text: "{{.y}}", error: #"template: t:1:2: executing "t" at <.y>: map has no entry for key "y""#,
                  data: .stringMap(["x": "99"]), missingKey: .error),
        ErrorCase(text: "line 1\nline 2\nline 3\n{{template \"one\" .}}\n{{define \"one\"}}{{template \"two\" .}}{{end}}\n{{define \"two\"}}{{template \"three\" .}}{{end}}\n{{define \"three\"}}{{index \"hi\" $}}{{end}}",
                  error: #"template: t:7:20: executing "three" at <index "hi" $>: error calling index: index out of range: 5"#, data: .int(5)),
    ]

    @Test(arguments: errors)
    func error(_ c: ErrorCase) async {
        let got = await failure(c.text, c.data, missingKey: c.missingKey)
        #expect(got == c.error)
    }

    @Test func missingKeyModes() async throws {
        let labels = TemplateValue.stringMap(["x": "99"])
        let generic = TemplateValue.map(["x": .int(99)])
        #expect(try await run("{{.x}} {{.y}}", labels, missingKey: .invalid) == "99 <no value>")
        #expect(try await run("{{.x}} {{.y}}", labels, missingKey: .zero) == "99 ")
        #expect(try await run("{{.x}} {{.y}}", generic, missingKey: .invalid) == "99 <no value>")
        #expect(try await run("{{.x}} {{.y}}", generic, missingKey: .zero) == "99 <no value>")
        #expect(await failure("{{.x}} {{.y}}", generic, missingKey: .error) == #"template: t:1:9: executing "t" at <.y>: map has no entry for key "y""#)
        #expect(await failure("{{.y}}", .null, missingKey: .error) == #"template: t:1:2: executing "t" at <.y>: nil data; no entry for key "y""#)
        // missingkey=zero on a generic map gives a nil interface: a field of it is an error.
        #expect(await failure("{{.a.b}}", .map([:]), missingKey: .zero) == #"template: t:1:4: executing "t" at <.a.b>: nil pointer evaluating interface {}.b"#)
        #expect(try await run("{{.a.b}}", .map([:]), missingKey: .invalid) == "<no value>")
        // print of a missing value sees nil, not "<no value>".
        #expect(try await run("{{print .y}}", generic) == "<nil>")
    }

    /// Go's TestTree, with maps for the tree nodes and the default delimiters.
    @Test func recursiveTree() async throws {
        func node(_ v: Int64, _ l: TemplateValue = .null, _ r: TemplateValue = .null) -> TemplateValue {
            .map(["Val": .int(v), "Left": l, "Right": r])
        }
        let tree = node(1, node(2, node(3, node(4)), node(5, node(6))), node(7, node(8, node(9)), node(10, node(11))))
        let text = """
        {{- define "tree" -}}
        [
        \t{{- .Val -}}
        \t{{- with .Left -}}
        \t\t{{template "tree" . -}}
        \t{{- end -}}
        \t{{- with .Right -}}
        \t\t{{- template "tree" . -}}
        \t{{- end -}}
        ]
        {{- end -}}
        {{- template "tree" . -}}
        """
        #expect(try await run(text, tree) == "[1[2[3[4]][5[6]]][7[8[9]][10[11]]]]")
    }
}

extension GoSemanticsTests {
    /// text/template's TestJSEscaping cases, through the `js` function.
    @Test func jsEscaping() async throws {
        let cases: [(String, String)] = [
            ("a", "a"),
            ("'foo", #"\'foo"#),
            (#"Go "jump" \"#, #"Go \"jump\" \\"#),
            (#"Yukihiro says "今日は世界""#, #"Yukihiro says \"今日は世界\""#),
            ("unprintable \u{FFFE}", #"unprintable \uFFFE"#),
            ("<html>", #"\u003Chtml\u003E"#),
            ("no = in attributes", #"no \u003D in attributes"#),
            ("&#x27; does not become HTML entity", #"\u0026#x27; does not become HTML entity"#),
            ("tab\there\u{1}", #"tab\u0009here\u0001"#),
        ]
        for (input, want) in cases {
            let got = try await run("{{js .}}", .string(input))
            #expect(got == want)
        }
    }
}
