import StrataCore

/// PromQL tokens. Keywords are case-insensitive, as in Prometheus.
enum Keyword: String, CaseIterable {
    case and, or, unless, atan2
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk
    case countValues = "count_values"
    case quantile, offset, by, without, on, ignoring
    case groupLeft = "group_left"
    case groupRight = "group_right"
    case bool, start, end
    /// Keywords of 3.x only; identifiers in 2.42 mode.
    case limitk
    case limitRatio = "limit_ratio"

    static let byName: [String: Keyword] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    var aggregateOp: AggregateOp? {
        switch self {
        case .sum: return .sum
        case .avg: return .avg
        case .count: return .count
        case .min: return .min
        case .max: return .max
        case .group: return .group
        case .stddev: return .stddev
        case .stdvar: return .stdvar
        case .topk: return .topk
        case .bottomk: return .bottomk
        case .countValues: return .countValues
        case .quantile: return .quantile
        case .limitk: return .limitk
        case .limitRatio: return .limitRatio
        default: return nil
        }
    }
}

enum TokenKind: Equatable {
    case eof, comma, leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, colon, at
    case add, sub, mul, div, mod, pow, eqlc, neq, lss, lte, gtr, gte, eql, eqlRegex, neqRegex
    /// 3.x `</` and `>/`: trim a histogram's buckets above or below a value.
    case trimUpper, trimLower
    case number, duration, string, identifier, metricIdentifier
    case keyword(Keyword)
}

struct Token {
    var kind: TokenKind
    /// Raw text of the token (strings still quoted).
    var text: String
    /// Byte offsets into the query.
    var start: Int
    var end: Int

    /// How Prometheus names a token in "unexpected ..." messages (Item.desc()).
    var describe: String {
        switch kind {
        case .eof: return "end of input"
        // AT has no entry in Prometheus's ItemTypeStr, so its description is this oddity.
        case .at: return "\"<Item 57385>\" <op:@>"
        case .number: return "number " + Token.quoted(text)
        case .duration: return "duration " + Token.quoted(text)
        case .string: return "string " + Token.quoted(text)
        case .identifier: return "identifier " + goQuote(text)
        case .metricIdentifier: return "metric identifier " + goQuote(text)
        case .keyword(let k):
            if k.aggregateOp != nil { return "<aggr:\(text)>" }
            switch k {
            case .and, .or, .unless, .atan2: return "<op:\(text)>"
            case .start, .end: return goQuote(text)
            default: return "<\(text)>"
            }
        case .comma, .leftParen, .rightParen, .leftBrace, .rightBrace, .leftBracket, .rightBracket, .colon, .eql:
            return goQuote(text)
        default: return "<op:\(text)>"
        }
    }

    /// Go's `%q`, truncated to 10 characters with `...` as Item.String() does for long values.
    static func quoted(_ s: String) -> String {
        if s.unicodeScalars.count > 10 {
            var head = ""
            head.unicodeScalars.append(contentsOf: s.unicodeScalars.prefix(10))
            return goQuote(head) + "..."
        }
        return goQuote(s)
    }
}

/// A state-machine lexer mirroring Prometheus's lex.go: durations only after `[`, `:` inside
/// brackets and after `offset`; identifiers inside braces are never keywords.
struct Lexer {
    let src: [UInt8]
    let query: String
    let compat: PromQLCompat
    var pos = 0
    var tokens: [Token] = []
    var parenDepth = 0
    var braceOpen = false
    var bracketOpen = false
    var gotColon = false

    init(_ query: String, compat: PromQLCompat) {
        self.query = query
        self.compat = compat
        self.src = Array(query.utf8)
    }

    static func tokenize(_ query: String, compat: PromQLCompat) throws -> [Token] {
        var l = Lexer(query, compat: compat)
        try l.run()
        return l.tokens
    }

    func fail(_ at: Int, _ msg: String) -> ParseError { ParseError(position: at, message: msg, query: query) }

    func peek(_ off: Int = 0) -> UInt8? { pos + off < src.count ? src[pos + off] : nil }

    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    static func isAlpha(_ c: UInt8) -> Bool { c == 95 || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) }
    static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }

    mutating func emit(_ kind: TokenKind, _ start: Int) {
        tokens.append(Token(kind: kind, text: String(decoding: src[start..<pos], as: UTF8.self), start: start, end: pos))
    }

    mutating func run() throws {
        while true {
            if braceOpen { try lexInsideBraces(); continue }
            guard let c = peek() else {
                if parenDepth != 0 { throw fail(pos, "unclosed left parenthesis") }
                if bracketOpen { throw fail(pos, "unclosed left bracket") }
                tokens.append(Token(kind: .eof, text: "", start: pos, end: pos))
                return
            }
            let start = pos
            if c == 35 { // '#': comment to end of line
                while let d = peek(), d != 10 { pos += 1 }
                continue
            }
            if Lexer.isSpace(c) { pos += 1; continue }
            pos += 1
            switch c {
            case 44: emit(.comma, start)
            case 42: emit(.mul, start)
            case 47: emit(.div, start)
            case 37: emit(.mod, start)
            case 43: emit(.add, start)
            case 45: emit(.sub, start)
            case 94: emit(.pow, start)
            case 61:
                if peek() == 61 { pos += 1; emit(.eqlc, start) }
                else if peek() == 126 { throw fail(start, "unexpected character after '=': '~'") }
                else { emit(.eql, start) }
            case 33:
                if peek() == 61 { pos += 1; emit(.neq, start) }
                else { throw fail(start, "unexpected character after '!': \(describeChar(peek()))") }
            case 60:
                if peek() == 61 { pos += 1; emit(.lte, start) }
                else if peek() == 47, compat == .v3_14 { pos += 1; emit(.trimUpper, start) }
                else { emit(.lss, start) }
            case 62:
                if peek() == 61 { pos += 1; emit(.gte, start) }
                else if peek() == 47, compat == .v3_14 { pos += 1; emit(.trimLower, start) }
                else { emit(.gtr, start) }
            case 34, 39: try lexString(quote: c, start: start)
            case 96: try lexRawString(start: start)
            case 40:
                emit(.leftParen, start)
                parenDepth += 1
            case 41:
                emit(.rightParen, start)
                parenDepth -= 1
                if parenDepth < 0 { throw fail(pos, "unexpected right parenthesis ')'") }
            case 123:
                if peek() == 123 { throw fail(start, "native histogram syntax is not supported yet") }
                emit(.leftBrace, start)
                braceOpen = true
            case 91:
                if bracketOpen { throw fail(start, "unexpected left bracket '['") }
                gotColon = false
                emit(.leftBracket, start)
                while let d = peek(), Lexer.isSpace(d) { pos += 1 }
                bracketOpen = true
                try lexDuration()
            case 93:
                if !bracketOpen { throw fail(start, "unexpected right bracket ']'") }
                emit(.rightBracket, start)
                bracketOpen = false
            case 64: emit(.at, start)
            default:
                if Lexer.isDigit(c) || (c == 46 && peek().map(Lexer.isDigit) == true) {
                    pos = start
                    try lexNumberOrDuration()
                } else if Lexer.isAlpha(c) || c == 58 {
                    if !bracketOpen {
                        pos = start
                        lexKeywordOrIdentifier()
                    } else {
                        if c != 58 {
                            // 3.x duration expressions: step(), range(), min_of(…), max_of(…).
                            if compat == .v3_14 {
                                pos = start
                                lexKeywordOrIdentifier()
                                continue
                            }
                            throw fail(start, "unexpected character: \(describeChar(c))")
                        }
                        if gotColon { throw fail(start, "unexpected colon ':'") }
                        emit(.colon, start)
                        gotColon = true
                    }
                } else {
                    throw fail(start, "unexpected character: \(describeRune(at: start))")
                }
            }
        }
    }

    /// The whole UTF-8 character at `at`, quoted like Go's %q of a rune.
    func describeRune(at: Int) -> String {
        var end = at + 1
        while end < src.count, end - at < 4, src[end] & 0xC0 == 0x80 { end += 1 }
        let text = String(decoding: src[at..<end], as: UTF8.self)
        guard let scalar = text.unicodeScalars.first else { return "EOF" }
        if scalar.value < 0x20 || scalar.value == 0x7F {
            let hex = String(scalar.value, radix: 16)
            return "'\\x" + (hex.count < 2 ? "0" + hex : hex) + "'"
        }
        return "'" + String(scalar) + "'"
    }

    func describeChar(_ c: UInt8?) -> String {
        guard let c else { return "EOF" }
        return "'" + String(decoding: [c], as: UTF8.self) + "'"
    }

    mutating func lexInsideBraces() throws {
        guard let c = peek() else { throw fail(pos, "unexpected end of input inside braces") }
        let start = pos
        if c == 35 {
            while let d = peek(), d != 10 { pos += 1 }
            return
        }
        pos += 1
        switch c {
        case _ where Lexer.isSpace(c): return
        case _ where Lexer.isAlpha(c):
            while let d = peek(), Lexer.isAlnum(d) { pos += 1 }
            emit(.identifier, start)
        case 44: emit(.comma, start)
        case 34, 39: try lexString(quote: c, start: start)
        case 96: try lexRawString(start: start)
        case 61:
            if peek() == 126 { pos += 1; emit(.eqlRegex, start) } else { emit(.eql, start) }
        case 33:
            if peek() == 126 { pos += 1; emit(.neqRegex, start) }
            else if peek() == 61 { pos += 1; emit(.neq, start) }
            else { throw fail(start, "unexpected character after '!' inside braces: \(describeChar(peek()))") }
        case 123: throw fail(start, "unexpected left brace '{'")
        case 125:
            emit(.rightBrace, start)
            braceOpen = false
        default:
            throw fail(start, "unexpected character inside braces: \(describeRune(at: start))")
        }
    }

    mutating func lexString(quote: UInt8, start: Int) throws {
        while true {
            guard let c = peek() else { throw fail(start, "unterminated quoted string") }
            pos += 1
            if c == 10 { throw fail(start, "unterminated quoted string") }
            if c == 92 {
                guard peek() != nil else { throw fail(pos, "escape sequence not terminated") }
                pos += 1
                continue
            }
            if c == quote { break }
        }
        emit(.string, start)
    }

    mutating func lexRawString(start: Int) throws {
        while true {
            guard let c = peek() else { throw fail(start, "unterminated raw string") }
            pos += 1
            if c == 96 { break }
        }
        emit(.string, start)
    }

    mutating func accept(_ set: String) -> Bool {
        if let c = peek(), set.utf8.contains(c) { pos += 1; return true }
        return false
    }

    mutating func acceptRun(_ set: String) {
        while accept(set) {}
    }

    /// Scans a number; true when what follows cannot continue it (Prometheus scanNumber).
    mutating func scanNumber() -> Bool {
        var digits = "0123456789"
        if peek() == 48, let x = peek(1), x == 120 || x == 88 {
            pos += 2
            digits = "0123456789abcdefABCDEF"
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789")
        }
        if let r = peek(), Lexer.isAlnum(r) { return false }
        return true
    }

    mutating func acceptRemainingDuration() -> Bool {
        if !accept("smhdwy") { return false }
        _ = accept("s")
        while accept("0123456789") {
            acceptRun("0123456789")
            if !accept("smhdw") { return false }
            _ = accept("s")
        }
        if let r = peek(), Lexer.isAlnum(r) { return false }
        return true
    }

    mutating func lexNumberOrDuration() throws {
        let start = pos
        if scanNumber() { emit(.number, start); return }
        if acceptRemainingDuration() { emit(.duration, start); return }
        while let c = peek(), Lexer.isAlnum(c) || c == 46 { pos += 1 }
        throw fail(start, "bad number or duration syntax: \"\(String(decoding: src[start..<pos], as: UTF8.self))\"")
    }

    mutating func lexDuration() throws {
        let start = pos
        // 3.x duration expressions may start with a function (`[min_of(…)]`, `[step()]`).
        if compat == .v3_14, let c = peek(), Lexer.isAlpha(c) { return }
        if scanNumber() {
            if pos == start { return } // e.g. `[]`: let the parser report it
            // 3.x: a plain number in brackets is seconds.
            if compat == .v3_14 { emit(.number, start); return }
            throw fail(start, "missing unit character in duration")
        }
        if !acceptRemainingDuration() {
            throw fail(start, "bad duration syntax: \"\(String(decoding: src[start..<pos], as: UTF8.self))\"")
        }
        emit(.duration, start)
    }

    mutating func lexKeywordOrIdentifier() {
        let start = pos
        while let c = peek(), Lexer.isAlnum(c) || c == 58 { pos += 1 }
        let word = String(decoding: src[start..<pos], as: UTF8.self)
        let lower = word.lowercased()
        if lower == "inf" || lower == "nan" {
            emit(.number, start)
        } else if let kw = Keyword.byName[lower], compat == .v3_14 || (kw != .limitk && kw != .limitRatio) {
            emit(.keyword(kw), start)
        } else if word.contains(":") {
            emit(.metricIdentifier, start)
        } else {
            emit(.identifier, start)
        }
    }
}
