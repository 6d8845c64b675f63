import Testing
import StrataTemplate

/// `printf`, `print` and `println` against Go's fmt (outputs as Go 1.26 prints them).
@Suite struct FmtTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var output: String
        var description: String { text }
    }

    static let data: TemplateValue = .map([
        "Value": .float(11), "Big": .float(1234567.0), "Str": .string("abc"), "M": .map(["b": .int(2), "a": .int(1)]),
        "L": .stringMap(["job": "api"]), "List": .list([.string("a"), .int(1), .null]), "Nil": .null,
    ])

    static let cases: [Case] = [
        // print / println spacing: spaces only between two non-string operands.
        Case(text: #"{{print "hello, print"}}"#, output: "hello, print"),
        Case(text: "{{print 1 2 3}}", output: "1 2 3"),
        Case(text: #"{{print "a" 1 2 "b" "c" 3}}"#, output: "a1 2bc3"),
        Case(text: "{{print nil}}", output: "<nil>"),
        Case(text: "{{print true false 1.5}}", output: "true false 1.5"),
        Case(text: #"{{println 1 2 3}}"#, output: "1 2 3\n"),
        Case(text: #"{{println "a" "b"}}"#, output: "a b\n"),
        Case(text: #"{{print .M}} {{print .L}} {{print .List}}"#, output: "map[a:1 b:2] map[job:api] [a 1 <nil>]"),
        // Integer verbs and flags.
        Case(text: #"{{printf "%04x" 127}}"#, output: "007f"),
        Case(text: #"{{printf "%d|%5d|%-5d|%05d|%+d|% d|%x|%X|%o|%O|%b|%#x|%#o|%c|%q|%U|%#U" 42 42 42 42 42 42 255 255 8 8 5 255 8 65 120 128512 128512}}"#,
             output: "42|   42|42   |00042|+42| 42|ff|FF|10|0o10|101|0xff|010|A|'x'|U+1F600|U+1F600 '😀'"),
        Case(text: #"{{printf "%d %d" -7 -0}} {{printf "%.3d|%6.3d|%-6.3d|%.0d" 7 7 7 0}}"#, output: "-7 0 007|   007|007   |"),
        Case(text: #"{{printf "%x" -255}} {{printf "%08.3f" -3.14159}} {{printf "%+08d" 42}}"#, output: "-ff -003.142 +0000042"),
        // Float verbs.
        Case(text: #"{{printf "%f|%.2f|%5.2f|%-8.3f|%08.2f|%+.1f|% .1f" 3.14159 3.14159 3.14159 3.14159 3.14159 3.14159 3.14159}}"#,
             output: "3.141590|3.14| 3.14|3.142   |00003.14|+3.1| 3.1"),
        Case(text: #"{{printf "%e|%E|%.2e|%g|%G|%.3g|%g|%g" 123456.789 123456.789 123456.789 123456.789 1e-7 123456.789 1e21 100000.0}}"#,
             output: "1.234568e+05|1.234568E+05|1.23e+05|123456.789|1E-07|1.23e+05|1e+21|100000"),
        Case(text: #"{{printf "%v %v %v %v %v %v" 1e6 123456.0 0.000012 1.5 100.0 -0.0}}"#, output: "1e+06 123456 1.2e-05 1.5 100 -0"),
        Case(text: #"{{printf "%.4g|%.4g|%.4g|%.4g|%.4g" 1.0 1234567.0 0.00012346 100.0 0.000012346}}"#, output: "1|1.235e+06|0.0001235|100|1.235e-05"),
        Case(text: #"{{printf "%.0f %.0f %.0f %.1f" 0.5 1.5 2.5 0.25}}"#, output: "0 2 2 0.2"),
        Case(text: #"{{printf "%F %x %X %b" 1.5 1.5 -1.5 1.0}}"#, output: "1.500000 0x1.8p+00 -0X1.8P+00 4503599627370496p-52"),
        Case(text: #"{{printf "%#g %#.3g %#e" 1.0 2.0 1.0}}"#, output: "1.00000 2.00 1.000000e+00"),
        Case(text: #"{{printf "%v %f %5.1f %e %+f %+v %05v" .Inf .Inf .NegInf .NaN .NaN .NaN .Inf}}"#, output: "+Inf +Inf  -Inf NaN +NaN NaN  +Inf"),
        // Strings.
        Case(text: #"{{printf "%s|%10s|%-10s|%.2s|%q|%x|%X|% x|%#q|%+q" "hi" "hi" "hi" "héllo" "a\"b" "hi" "hi" "hi" "hi" "é"}}"#,
             output: #"hi|        hi|hi        |hé|"a\"b"|6869|6869|68 69|`hi`|"\u00e9""#),
        Case(text: #"{{printf "%05s|%.1q|%v" "ab" "abc" "x"}}"#, output: #"000ab|"a"|x"#),
        Case(text: #"{{printf "%t %v %5t" true false true}}"#, output: "true false  true"),
        // Wrong verbs, missing and extra operands, bad widths.
        Case(text: #"{{printf "%d" "abc"}}"#, output: "%!d(string=abc)"),
        Case(text: #"{{printf "%d" .Value}}"#, output: "%!d(float64=11)"),
        Case(text: #"{{printf "%s" 5}} {{printf "%f" 5}} {{printf "%t" 1}} {{printf "%z" 1.5}}"#, output: "%!s(int=5) %!f(int=5) %!t(int=1) %!z(float64=1.5)"),
        Case(text: #"{{printf "%s"}}"#, output: "%!s(MISSING)"),
        Case(text: #"{{printf "%s %d" "a"}}"#, output: "a %!d(MISSING)"),
        Case(text: #"{{printf "%s" "a" "b" 3}}"#, output: "a%!(EXTRA string=b, int=3)"),
        Case(text: #"{{printf "x" nil}}"#, output: "x%!(EXTRA <nil>)"),
        Case(text: #"{{printf "%d" nil}} {{printf "%v" nil}} {{printf "%s" .Nil}}"#, output: "%!d(<nil>) <nil> %!s(<nil>)"),
        Case(text: #"{{printf "%"}}|{{printf "%-"}}|{{printf "100%%"}}"#, output: "%!(NOVERB)|%!(NOVERB)|100%"),
        Case(text: #"{{printf "%*d|%-*d|%.*f" 5 42 4 7 2 3.14159}}"#, output: "   42|7   |3.14"),
        Case(text: #"{{printf "%*d" "x" 42}}"#, output: "%!(BADWIDTH)42"),
        Case(text: #"{{printf "%[2]d %[1]d" 1 2}} {{printf "%[3]d" 1 2}} {{printf "%[2]*[1]d" 12 5}}"#, output: "2 1 %!d(BADINDEX)    12"),
        // Composite values: the verb applies to the elements.
        Case(text: #"{{printf "%v" .M}} {{printf "%d" .M}} {{printf "%s" .M}} {{printf "%+v" .M}}"#,
             output: "map[a:1 b:2] map[%!d(string=a):1 %!d(string=b):2] map[a:%!s(int=1) b:%!s(int=2)] map[a:1 b:2]"),
        Case(text: #"{{printf "%q" .L}} {{printf "%x" .L}} {{printf "%v" .List}} {{printf "%q" .List}}"#,
             output: #"map["job":"api"] map[6a6f62:617069] [a 1 <nil>] ["a" '\x01' <nil>]"#),
        Case(text: #"{{printf "%#v|%#v|%#v|%#v" "a" 1 .L .List}}"#,
             output: #""a"|1|map[string]string{"job":"api"}|[]interface {}{"a", 1, interface {}(nil)}"#),
        Case(text: #"{{printf "%T %T %T %T %T %T %T" 1 1.5 "s" true .M .L .List}}"#,
             output: "int float64 string bool map[string]interface {} map[string]string []interface {}"),
        // Values printed by an action are %v.
        Case(text: "{{.Value}} {{.Big}} {{.M}} {{.L}} {{.List}}", output: "11 1.234567e+06 map[a:1 b:2] map[job:api] [a 1 <nil>]"),
    ]

    @Test(arguments: cases)
    func printf(_ c: Case) async throws {
        var d = Self.data
        if case .map(var m) = d {
            m["Inf"] = .float(.infinity)
            m["NegInf"] = .float(-.infinity)
            m["NaN"] = .float(.nan)
            d = .map(m)
        }
        let got = try await run(c.text, d)
        #expect(got == c.output)
    }

    @Test func printfOfQueryResults() async throws {
        let context = TemplateContext(query: { _ in [sample(["__name__": "up", "job": "a"], 1)] })
        let got = try await run(#"{{ $s := query "up" | first }}{{ $s }} {{ print $s }} {{ printf "%+v" $s }} {{ printf "%.1f" $s.Value }}"#, context: context)
        #expect(got == "{map[__name__:up job:a] 1} &{map[__name__:up job:a] 1} &{Labels:map[__name__:up job:a] Value:1} 1.0")
    }

    @Test func timesAndDurationsAreStringers() async throws {
        let got = try await run(#"{{ 1800 | toDuration }} {{ print (1800 | toDuration) }} {{ printf "%s|%v" (90 | toDuration) (0.0015 | toDuration) }} {{ 0 | toTime }}"#)
        #expect(got == "30m0s 30m0s 1m30s|1.5ms 1970-01-01 00:00:00 +0000 UTC")
    }
}
