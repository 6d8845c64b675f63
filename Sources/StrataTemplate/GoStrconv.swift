import StrataCore

/// Go's strconv, as far as templates reach it: literals in template text are Go literals,
/// and messages quote with `%q`, so both directions must match Go byte for byte.
enum GoStrconv {
    struct SyntaxError: Error {}

    /// `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrint(_ r: UInt32) -> Bool {
        if r == 0x20 { return true }
        guard let u = Unicode.Scalar(r) else { return false }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    static func isLetter(_ r: UInt32) -> Bool {
        guard let u = Unicode.Scalar(r) else { return false }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isDigit(_ r: UInt32) -> Bool {
        guard let u = Unicode.Scalar(r) else { return false }
        return u.properties.generalCategory == .decimalNumber
    }

    /// `strconv.Quote` (or `QuoteToASCII` when `asciiOnly`).
    static func quote(_ s: String, asciiOnly: Bool = false) -> String {
        quoteBytes(Array(s.utf8), quote: 0x22, asciiOnly: asciiOnly)
    }

    /// `strconv.QuoteRune`.
    static func quoteRune(_ r: UInt32, asciiOnly: Bool = false) -> String {
        var r = r
        if r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF) { r = 0xFFFD }
        var out: [UInt8] = [0x27]
        appendEscaped(r, quote: 0x27, asciiOnly: asciiOnly, into: &out)
        out.append(0x27)
        return String(decoding: out, as: UTF8.self)
    }

    static func quoteBytes(_ b: [UInt8], quote: UInt8, asciiOnly: Bool) -> String {
        var out: [UInt8] = [quote]
        var i = 0
        while i < b.count {
            let (r, w) = decodeRune(b, i)
            if w == 1 && r == 0xFFFD {
                out += Array("\\x".utf8) + hex2(b[i])
                i += 1
                continue
            }
            appendEscaped(r, quote: quote, asciiOnly: asciiOnly, into: &out)
            i += w
        }
        out.append(quote)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendEscaped(_ r: UInt32, quote: UInt8, asciiOnly: Bool, into out: inout [UInt8]) {
        if r == UInt32(quote) || r == 0x5C {
            out.append(0x5C)
            out.append(UInt8(r))
            return
        }
        if asciiOnly {
            if r < 0x80 && isPrint(r) {
                out.append(UInt8(r))
                return
            }
        } else if isPrint(r) {
            out += utf8(r)
            return
        }
        switch r {
        case 0x07: out += Array("\\a".utf8)
        case 0x08: out += Array("\\b".utf8)
        case 0x0C: out += Array("\\f".utf8)
        case 0x0A: out += Array("\\n".utf8)
        case 0x0D: out += Array("\\r".utf8)
        case 0x09: out += Array("\\t".utf8)
        case 0x0B: out += Array("\\v".utf8)
        default:
            if r < 0x20 || r == 0x7F {
                out += Array("\\x".utf8) + hex2(UInt8(r))
            } else if r < 0x10000 {
                out += Array("\\u".utf8) + hexN(r, 4)
            } else {
                out += Array("\\U".utf8) + hexN(r, 8)
            }
        }
    }

    /// `strconv.CanBackquote`.
    static func canBackquote(_ s: String) -> Bool {
        for u in s.unicodeScalars {
            if u == "`" || u == "\u{FEFF}" { return false }
            if u.value < 0x20 && u != "\t" { return false }
            if u.value == 0x7F { return false }
        }
        return true
    }

    static func hex2(_ b: UInt8) -> [UInt8] {
        let d = Array("0123456789abcdef".utf8)
        return [d[Int(b >> 4)], d[Int(b & 15)]]
    }

    static func hexN(_ v: UInt32, _ n: Int) -> [UInt8] {
        let d = Array("0123456789abcdef".utf8)
        return (0..<n).reversed().map { d[Int((v >> (4 * UInt32($0))) & 15)] }
    }

    static func utf8(_ r: UInt32) -> [UInt8] {
        guard let u = Unicode.Scalar(r) else { return [0xEF, 0xBF, 0xBD] }
        return Array(String(Character(u)).utf8)
    }

    /// UTF-8 decoding the way Go's `utf8.DecodeRune` does it.
    static func decodeRune(_ s: [UInt8], _ i: Int) -> (UInt32, Int) {
        let b0 = s[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        func cont(_ k: Int) -> UInt32? {
            guard i + k < s.count, s[i + k] & 0xC0 == 0x80 else { return nil }
            return UInt32(s[i + k] & 0x3F)
        }
        if b0 >= 0xC2 && b0 <= 0xDF, let c1 = cont(1) { return ((UInt32(b0 & 0x1F) << 6) | c1, 2) }
        if b0 >= 0xE0 && b0 <= 0xEF, let c1 = cont(1), let c2 = cont(2) {
            let r = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
            if r >= 0x800 && !(r >= 0xD800 && r <= 0xDFFF) { return (r, 3) }
        }
        if b0 >= 0xF0 && b0 <= 0xF4, let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) {
            let r = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
            if r >= 0x10000 && r <= 0x10FFFF { return (r, 4) }
        }
        return (0xFFFD, 1)
    }

    /// `strconv.UnquoteChar`: one (possibly escaped) character of a quoted literal.
    static func unquoteChar(_ s: [UInt8], _ i: Int, quote: UInt8) throws -> (value: UInt32, multibyte: Bool, next: Int) {
        let c = s[i]
        if c == quote && (quote == 0x27 || quote == 0x22) { throw SyntaxError() }
        if c >= 0x80 {
            let (r, w) = decodeRune(s, i)
            return (r, true, i + w)
        }
        if c != 0x5C { return (UInt32(c), false, i + 1) }
        guard i + 1 < s.count else { throw SyntaxError() }
        let e = s[i + 1]
        var j = i + 2
        switch e {
        case UInt8(ascii: "a"): return (7, false, j)
        case UInt8(ascii: "b"): return (8, false, j)
        case UInt8(ascii: "f"): return (12, false, j)
        case UInt8(ascii: "n"): return (10, false, j)
        case UInt8(ascii: "r"): return (13, false, j)
        case UInt8(ascii: "t"): return (9, false, j)
        case UInt8(ascii: "v"): return (11, false, j)
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let n = e == UInt8(ascii: "x") ? 2 : (e == UInt8(ascii: "u") ? 4 : 8)
            guard j + n <= s.count else { throw SyntaxError() }
            var v: UInt32 = 0
            for k in 0..<n {
                guard let d = hexVal(s[j + k]) else { throw SyntaxError() }
                v = v << 4 | d
            }
            j += n
            if e == UInt8(ascii: "x") { return (v, false, j) }
            if v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) { throw SyntaxError() }
            return (v, true, j)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard i + 4 <= s.count else { throw SyntaxError() }
            var v: UInt32 = 0
            for k in 1...3 {
                let d = s[i + k]
                guard d >= 0x30 && d <= 0x37 else { throw SyntaxError() }
                v = v << 3 | UInt32(d - 0x30)
            }
            if v > 255 { throw SyntaxError() }
            return (v, false, i + 4)
        case 0x5C: return (0x5C, false, j)
        case 0x27, 0x22:
            if e != quote { throw SyntaxError() }
            return (UInt32(e), false, j)
        default:
            throw SyntaxError()
        }
    }

    static func hexVal(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        default: return nil
        }
    }

    /// `strconv.Unquote` of a "…" or `…` literal, as the template parser uses it.
    static func unquote(_ lit: String) throws -> String {
        let b = Array(lit.utf8)
        guard b.count >= 2, let q = b.first, q == b.last else { throw SyntaxError() }
        let body = Array(b[1..<(b.count - 1)])
        if q == 0x60 {
            if body.contains(0x60) { throw SyntaxError() }
            return String(decoding: body.filter { $0 != 0x0D }, as: UTF8.self)
        }
        guard q == 0x22 || q == 0x27 else { throw SyntaxError() }
        if body.contains(0x0A) { throw SyntaxError() }
        var out: [UInt8] = []
        var i = 0
        while i < body.count {
            let (v, multibyte, next) = try unquoteChar(body, i, quote: q)
            i = next
            if v < 0x80 || !multibyte {
                if multibyte { out += utf8(v) } else { out.append(UInt8(truncatingIfNeeded: v)) }
            } else {
                out += utf8(v)
            }
            if q == 0x27 && i != body.count { throw SyntaxError() }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `strconv.ParseUint(s, 0, 64)`: decimal, 0x, 0o, 0b or leading-0 octal, with `_`.
    static func parseUint(_ s: String) -> UInt64? {
        var b = Array(s.utf8)
        if b.isEmpty { return nil }
        var base: UInt64 = 10
        var prefixed = false
        if b[0] == 0x30 {
            if b.count >= 3, [UInt8(ascii: "x"), UInt8(ascii: "X")].contains(b[1]) {
                base = 16
                b.removeFirst(2)
                prefixed = true
            } else if b.count >= 3, [UInt8(ascii: "o"), UInt8(ascii: "O")].contains(b[1]) {
                base = 8
                b.removeFirst(2)
                prefixed = true
            } else if b.count >= 3, [UInt8(ascii: "b"), UInt8(ascii: "B")].contains(b[1]) {
                base = 2
                b.removeFirst(2)
                prefixed = true
            } else {
                base = 8
                b.removeFirst(1)
                prefixed = true
                if b.isEmpty { return 0 }
            }
        }
        var sawUnderscore = false
        var n: UInt64 = 0
        for c in b {
            if c == 0x5F {
                sawUnderscore = true
                continue
            }
            guard let d = hexVal(c).map(UInt64.init), d < base else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            n = a
        }
        if sawUnderscore && !underscoreOK(s) { return nil }
        if b.allSatisfy({ $0 == 0x5F }) && !(prefixed && base == 8 && b.isEmpty) { return nil }
        return n
    }

    /// `strconv.ParseInt(s, 0, 64)`.
    static func parseInt(_ s: String) -> Int64? {
        var body = s
        var neg = false
        if let f = s.first, f == "+" || f == "-" {
            neg = f == "-"
            body = String(s.dropFirst())
        }
        guard let u = parseUint(body) else { return nil }
        if neg {
            if u > UInt64(Int64.max) + 1 { return nil }
            return u == UInt64(Int64.max) + 1 ? Int64.min : -Int64(u)
        }
        if u > UInt64(Int64.max) { return nil }
        return Int64(u)
    }

    /// Go's `underscoreOK`: underscores only between digits or after a base prefix.
    static func underscoreOK(_ str: String) -> Bool {
        var s = Array(str.utf8)
        var saw: UInt8 = UInt8(ascii: "^")
        var i = 0
        if let f = s.first, f == 0x2B || f == 0x2D { s.removeFirst() }
        var hex = false
        if s.count >= 2, s[0] == 0x30, [UInt8(ascii: "b"), UInt8(ascii: "o"), UInt8(ascii: "x")].contains(s[1] | 0x20) {
            i = 2
            saw = UInt8(ascii: "0")
            hex = s[1] | 0x20 == UInt8(ascii: "x")
        }
        while i < s.count {
            let c = s[i]
            if (c >= 0x30 && c <= 0x39) || (hex && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) {
                saw = UInt8(ascii: "0")
            } else if c == 0x5F {
                if saw != UInt8(ascii: "0") { return false }
                saw = 0x5F
            } else {
                if saw == 0x5F { return false }
                saw = UInt8(ascii: "!")
            }
            i += 1
        }
        return saw != 0x5F
    }

    enum FloatError: Error { case syntax, range(Double) }

    /// `strconv.ParseFloat(s, 64)`: Go's decimal and hexadecimal (`0x1p-2`) syntax, `_`
    /// separators, and Inf/Infinity/NaN in any case.
    static func parseFloat(_ s: String) throws -> Double {
        let lower = s.lowercased()
        var body = Substring(lower)
        var sign: Double = 1
        if let f = body.first, f == "+" || f == "-" {
            if f == "-" { sign = -1 }
            body = body.dropFirst()
        }
        if body == "inf" || body == "infinity" { return sign * .infinity }
        if lower == "nan" { return .nan }
        let b = Array(body.utf8)
        guard !b.isEmpty else { throw FloatError.syntax }
        var i = 0
        var hex = false
        if b.count > 2, b[0] == 0x30, b[1] == UInt8(ascii: "x") {
            hex = true
            i = 2
        }
        var digits = 0
        var sawDot = false
        var sawUnderscore = false
        var sawExp = false
        while i < b.count {
            let c = b[i]
            if c == 0x5F {
                sawUnderscore = true
            } else if c == 0x2E {
                if sawDot { throw FloatError.syntax }
                sawDot = true
            } else if (c >= 0x30 && c <= 0x39) || (hex && c >= 0x61 && c <= 0x66) {
                digits += 1
            } else {
                break
            }
            i += 1
        }
        if digits == 0 { throw FloatError.syntax }
        if i < b.count, b[i] == (hex ? UInt8(ascii: "p") : UInt8(ascii: "e")) {
            sawExp = true
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            var expDigits = 0
            while i < b.count, (b[i] >= 0x30 && b[i] <= 0x39) || b[i] == 0x5F {
                if b[i] == 0x5F { sawUnderscore = true } else { expDigits += 1 }
                i += 1
            }
            if expDigits == 0 { throw FloatError.syntax }
        }
        if i != b.count { throw FloatError.syntax }
        if hex && !sawExp { throw FloatError.syntax }
        if sawUnderscore && !underscoreOK(String(body)) { throw FloatError.syntax }
        let cleaned = String(decoding: b.filter { $0 != 0x5F }, as: UTF8.self)
        guard let v = Double(cleaned) else { throw FloatError.syntax }
        if v.isInfinite { throw FloatError.range(sign * v) }
        return sign * v
    }

    /// `strconv.ParseFloat`'s error text.
    static func parseFloatMessage(_ s: String, _ e: Error) -> String {
        if case FloatError.range = e {
            return "strconv.ParseFloat: parsing \(quote(s)): value out of range"
        }
        return "strconv.ParseFloat: parsing \(quote(s)): invalid syntax"
    }
}
