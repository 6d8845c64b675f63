/// Unquotes a PromQL string literal with Go's rules (`strconv.Unquote`, extended to
/// single-quoted strings as Prometheus's strutil.Unquote does): `\a \b \f \n \r \t \v \\`,
/// the quote character itself, octal `\NNN`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`; backtick strings
/// are raw.
func unquoteGo(_ text: String) throws -> String {
    let b = Array(text.utf8)
    guard b.count >= 2, let q = b.first, q == b.last, q == 34 || q == 39 || q == 96 else {
        throw UnquoteError(message: "invalid syntax")
    }
    let body = b[1..<(b.count - 1)]
    if q == 96 {
        if body.contains(96) { throw UnquoteError(message: "invalid syntax") }
        return String(decoding: body.filter { $0 != 13 }, as: UTF8.self)
    }
    var out: [UInt8] = []
    out.reserveCapacity(body.count)
    var i = body.startIndex
    func hexVal(_ c: UInt8) -> UInt32? {
        switch c {
        case 48...57: return UInt32(c - 48)
        case 97...102: return UInt32(c - 87)
        case 65...70: return UInt32(c - 55)
        default: return nil
        }
    }
    func appendScalar(_ v: UInt32) throws {
        guard let s = Unicode.Scalar(v) else { throw UnquoteError(message: "invalid syntax") }
        out.append(contentsOf: Array(String(Character(s)).utf8))
    }
    while i < body.endIndex {
        let c = body[i]
        if c == q || c == 10 { throw UnquoteError(message: "invalid syntax") }
        if c != 92 { out.append(c); i += 1; continue }
        i += 1
        guard i < body.endIndex else { throw UnquoteError(message: "invalid syntax") }
        let e = body[i]
        i += 1
        switch e {
        case 97: out.append(7)
        case 98: out.append(8)
        case 102: out.append(12)
        case 110: out.append(10)
        case 114: out.append(13)
        case 116: out.append(9)
        case 118: out.append(11)
        case 92: out.append(92)
        case 39, 34:
            guard e == q else { throw UnquoteError(message: "invalid syntax") }
            out.append(e)
        case 48...55:
            var v = UInt32(e - 48)
            for _ in 0..<2 {
                guard i < body.endIndex, body[i] >= 48, body[i] <= 55 else { throw UnquoteError(message: "invalid syntax") }
                v = v * 8 + UInt32(body[i] - 48)
                i += 1
            }
            guard v <= 255 else { throw UnquoteError(message: "invalid syntax") }
            out.append(UInt8(v))
        case 120, 117, 85:
            let n = e == 120 ? 2 : (e == 117 ? 4 : 8)
            var v: UInt32 = 0
            for _ in 0..<n {
                guard i < body.endIndex, let h = hexVal(body[i]) else { throw UnquoteError(message: "invalid syntax") }
                v = v * 16 + h
                i += 1
            }
            if e == 120 { out.append(UInt8(v)) } else { try appendScalar(v) }
        default:
            throw UnquoteError(message: "invalid syntax")
        }
    }
    return String(decoding: out, as: UTF8.self)
}

struct UnquoteError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
