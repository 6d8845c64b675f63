/// Parses a PromQL series selector such as `up{job="api", code=~"5.."}` into matchers.
/// Used by tools and flags (`--match`, `--delete`) that take a selector but no full query.
public enum SeriesSelector {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let position: Int
        public let message: String
        public var description: String { "parse error at char \(position + 1): \(message)" }
    }

    public static func parse(_ text: String) throws -> [Matcher] {
        var p = Parser(Array(text.unicodeScalars))
        let ms = try p.selector()
        p.skipSpace()
        if p.i < p.s.count { throw ParseError(position: p.i, message: "unexpected character after selector") }
        if ms.isEmpty || ms.allSatisfy({ $0.matchesEmpty }) {
            throw ParseError(position: 0, message: "vector selector must contain at least one non-empty matcher")
        }
        return ms
    }

    struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        init(_ s: [Unicode.Scalar]) { self.s = s }

        mutating func skipSpace() {
            while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
        }

        func isIdentStart(_ c: Unicode.Scalar) -> Bool {
            c == "_" || c == ":" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
        }

        func isIdent(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || (c >= "0" && c <= "9") }

        mutating func ident(allowColon: Bool) throws -> String {
            let start = i
            guard i < s.count, isIdentStart(s[i]), allowColon || s[i] != ":" else {
                throw ParseError(position: i, message: "expected identifier")
            }
            while i < s.count, isIdent(s[i]), allowColon || s[i] != ":" { i += 1 }
            var out = ""
            out.unicodeScalars.append(contentsOf: s[start..<i])
            return out
        }

        mutating func selector() throws -> [Matcher] {
            skipSpace()
            var ms: [Matcher] = []
            if i < s.count, isIdentStart(s[i]) {
                ms.append(try Matcher(.equal, metricNameLabel, try ident(allowColon: true)))
                skipSpace()
            }
            guard i < s.count, s[i] == "{" else {
                if ms.isEmpty { throw ParseError(position: i, message: "expected metric name or '{'") }
                return ms
            }
            i += 1
            while true {
                skipSpace()
                if i < s.count, s[i] == "}" { i += 1; break }
                let name = try ident(allowColon: false)
                skipSpace()
                let opStart = i
                var op: MatchType?
                if i + 1 < s.count {
                    switch (s[i], s[i + 1]) {
                    case ("=", "~"): op = .regexMatch; i += 2
                    case ("!", "~"): op = .regexNoMatch; i += 2
                    case ("!", "="): op = .notEqual; i += 2
                    default: break
                    }
                }
                if op == nil, i < s.count, s[i] == "=" { op = .equal; i += 1 }
                guard let op else { throw ParseError(position: opStart, message: "expected label matching operator") }
                skipSpace()
                let value = try quoted()
                do {
                    ms.append(try Matcher(op, name, value))
                } catch {
                    throw ParseError(position: opStart, message: "\(error)")
                }
                skipSpace()
                if i < s.count, s[i] == "," { i += 1; continue }
                if i < s.count, s[i] == "}" { i += 1; break }
                throw ParseError(position: i, message: "expected ',' or '}' in label matching")
            }
            return ms
        }

        mutating func quoted() throws -> String {
            guard i < s.count, s[i] == "\"" || s[i] == "'" || s[i] == "`" else {
                throw ParseError(position: i, message: "expected quoted label value")
            }
            let q = s[i]
            let start = i
            i += 1
            var out = String.UnicodeScalarView()
            while i < s.count, s[i] != q {
                if s[i] == "\\" && q != "`" {
                    i += 1
                    guard i < s.count else { break }
                    switch s[i] {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    case "'": out.append("'")
                    default: out.append("\\"); out.append(s[i])
                    }
                } else {
                    out.append(s[i])
                }
                i += 1
            }
            guard i < s.count else { throw ParseError(position: start, message: "unterminated quoted string") }
            i += 1
            return String(out)
        }
    }
}
