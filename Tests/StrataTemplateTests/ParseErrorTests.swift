import Testing
import StrataTemplate

/// Parse errors: Go's text (`template: <name>:<line>: <message>`), including the line of
/// the last token read and "in action started at" for actions spanning lines.
@Suite struct ParseErrorTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var text: String
        var error: String
        var description: String { name }
    }

    /// text/template/parse's errorTests: the error must contain the given text.
    static let goErrorTests: [Case] = [
        Case(name: "unclosed1", text: "line1\n{{", error: "unclosed1:2: unclosed action"),
        Case(name: "unclosed2", text: "line1\n{{define `x`}}line2\n{{", error: "unclosed2:3: unclosed action"),
        Case(name: "unclosed3", text: "line1\n{{\"x\"\n\"y\"\n", error: "unclosed3:4: unclosed action started at unclosed3:2"),
        Case(name: "unclosed4", text: "{{\n\n\n\n\n", error: "unclosed4:6: unclosed action started at unclosed4:1"),
        Case(name: "var1", text: "line1\n{{\nx\n}}", error: #"var1:3: function "x" not defined"#),
        Case(name: "function", text: "{{foo}}", error: #"function "foo" not defined"#),
        Case(name: "comment1", text: "{{/*}}", error: "comment1:1: unclosed comment"),
        Case(name: "comment2", text: "{{/*\nhello\n}}", error: "comment2:1: unclosed comment"),
        Case(name: "lparen", text: "{{.X (1 2 3}}", error: "unclosed left paren"),
        Case(name: "rparen", text: "{{.X 1 2 3 ) }}", error: "unexpected right paren"),
        Case(name: "rparen2", text: "{{(.X 1 2 3", error: "unclosed action"),
        Case(name: "space", text: "{{`x`3}}", error: "in operand"),
        Case(name: "idchar", text: "{{a#}}", error: "'#'"),
        Case(name: "charconst", text: "{{'a}}", error: "unterminated character constant"),
        Case(name: "stringconst", text: #"{{"a}}"#, error: "unterminated quoted string"),
        Case(name: "rawstringconst", text: "{{`a}}", error: "unterminated raw quoted string"),
        Case(name: "number", text: "{{0xi}}", error: "number syntax"),
        Case(name: "multidefine", text: "{{define `a`}}a{{end}}{{define `a`}}b{{end}}", error: "multiple definition of template"),
        Case(name: "eof", text: "{{range .X}}", error: "unexpected EOF"),
        Case(name: "variable", text: "{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}", error: #"unexpected ":=""#),
        Case(name: "multidecl", text: "{{$a,$b,$c := 23}}", error: "too many declarations"),
        Case(name: "undefvar", text: "{{$a}}", error: "undefined variable"),
        Case(name: "wrongdot", text: "{{true.any}}", error: "unexpected . after term"),
        Case(name: "wrongpipeline", text: "{{12|false}}", error: "non executable command in pipeline"),
        Case(name: "emptypipeline", text: "{{ ( ) }}", error: "missing value for parenthesized pipeline"),
        Case(name: "multilinerawstring", text: "{{ $v := `\n` }} {{", error: "multilinerawstring:2: unclosed action"),
        Case(name: "rangeundefvar", text: "{{range $k}}{{end}}", error: "undefined variable"),
        Case(name: "rangeundefvars", text: "{{range $k, $v}}{{end}}", error: "undefined variable"),
        Case(name: "rangemissingvalue1", text: "{{range $k,}}{{end}}", error: "missing value for range"),
        Case(name: "rangemissingvalue2", text: "{{range $k, $v := }}{{end}}", error: "missing value for range"),
        Case(name: "rangenotvariable1", text: "{{range $k, .}}{{end}}", error: "range can only initialize variables"),
        Case(name: "rangenotvariable2", text: "{{range $k, 123 := .}}{{end}}", error: "range can only initialize variables"),
        Case(name: "unterminated", text: "hello\n\n{{`unterminated\n\n\n\n}}\n some more\n\n", error: "unterminated:3: unterminated raw quoted string"),
        Case(name: "break", text: "{{range .X}}{{end}}{{break}}", error: "{{break}} outside {{range}}"),
        Case(name: "breakInElse", text: "{{range .X}}{{else}}{{continue}}{{end}}", error: "{{continue}} outside {{range}}"),
    ]

    @Test(arguments: goErrorTests)
    func goErrors(_ c: Case) throws {
        do {
            _ = try Template(name: c.name, text: c.text)
            Issue.record("\(c.name): expected error containing \(c.error)")
        } catch {
            #expect("\(error)".contains(c.error), "\(error)")
        }
    }

    static let exact: [Case] = [
        Case(name: "t", text: "{{ foo }}", error: #"template: t:1: function "foo" not defined"#),
        Case(name: "t", text: "{{ $x }}", error: #"template: t:1: undefined variable "$x""#),
        Case(name: "t", text: "{{if}}", error: "template: t:1: missing value for if"),
        Case(name: "t", text: "a{{end}}", error: "template: t:1: unexpected {{end}}"),
        Case(name: "t", text: "{{else}}", error: "template: t:1: unexpected {{else}}"),
        Case(name: "t", text: "{{if 1}}a{{else}}b{{else}}c{{end}}", error: "template: t:1: expected end; found {{else}}"),
        Case(name: "t", text: "{{range .}}", error: "template: t:1: unexpected EOF"),
        Case(name: "t", text: "{{ .a | 3 }}", error: "template: t:1: non executable command in pipeline stage 2"),
        Case(name: "t", text: "{{ 1 * 2 }}", error: #"template: t:1: unexpected "*" in operand"#),
        Case(name: "t", text: "{{break}}", error: "template: t:1: {{break}} outside {{range}}"),
        Case(name: "t", text: #"{{define "a"}}a{{end}}{{define "a"}}b{{end}}"#, error: #"template: t:1: template: multiple definition of template "a""#),
        Case(name: "t", text: #"{{ "\q" }}"#, error: "template: t:1: invalid syntax"),
        Case(name: "t", text: "{{ 'ab' }}", error: "template: t:1: malformed character constant: 'ab'"),
        Case(name: "t", text: "{{ 99999999999999999999 }}", error: #"template: t:1: integer overflow: "99999999999999999999""#),
        Case(name: "t", text: "{{ - }}", error: #"template: t:1: illegal number syntax: "-""#),
        Case(name: "t", text: "{{ .a }}\n{{ .b\n| foo }}", error: #"template: t:3: function "foo" not defined"#),
        Case(name: "t", text: "{{template .x}}", error: #"template: t:1: unexpected ".x" in template clause"#),
        Case(name: "t", text: "{{ with }}", error: "template: t:1: missing value for with"),
        Case(name: "t", text: "{{ $x := 1 }}{{ $x : 2 }}", error: "template: t:1: expected :="),
        Case(name: "t", text: "{{ define \"x\" }}", error: "template: t:1: unexpected EOF"),
        Case(name: "t", text: "{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}", error: "template: t:1: unexpected <define> in command"),
        Case(name: "t", text: "{{ 1+2i }}", error: "template: t:1: complex constants are not supported: 1+2i"),
    ]

    @Test(arguments: exact)
    func exactErrors(_ c: Case) throws {
        do {
            _ = try Template(name: c.name, text: c.text)
            Issue.record("expected \(c.error)")
        } catch {
            #expect("\(error)" == c.error)
        }
    }

    /// Parentheses nested past Strata's bound are refused rather than overflowing the stack.
    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500)
        #expect(throws: TemplateError.self) { try Template(name: "t", text: "{{ \(deep) }}") }
        let ifs = String(repeating: "{{if 1}}", count: 500) + String(repeating: "{{end}}", count: 500)
        #expect(throws: TemplateError.self) { try Template(name: "t", text: ifs) }
        let ok = String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50)
        _ = try Template(name: "t", text: "{{ \(ok) }}")
    }
}
