import StrataCore

/// The series notation of Prometheus test scripts: `metric{a="b"} 0+10x100 _ stale 1x3`.
/// `a+bxN` expands to N+1 values a, a+b, ...; `axN` repeats a N+1 times; `_` is a missing
/// sample, `_xN` N of them; `stale` is a staleness marker.
public enum SeriesDescription {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// nil entries are omitted samples.
    public static func parse(_ line: String) throws -> (Labels, [Double?]) {
        let b = Array(line.utf8)
        var i = 0
        func skipSpace() { while i < b.count, b[i] == 32 || b[i] == 9 { i += 1 } }
        skipSpace()
        if i + 1 < b.count, b[i] == 123, b[i + 1] == 123 {
            throw Error(description: "native histogram series notation is not supported yet")
        }
        var pairs: [Label] = []
        let nameStart = i
        while i < b.count, Lexer.isAlnum(b[i]) || b[i] == 58 { i += 1 }
        if i > nameStart { pairs.append(Label(metricNameLabel, String(decoding: b[nameStart..<i], as: UTF8.self))) }
        if i < b.count, b[i] == 123 {
            i += 1
            while true {
                skipSpace()
                if i < b.count, b[i] == 125 { i += 1; break }
                let ls = i
                while i < b.count, Lexer.isAlnum(b[i]) { i += 1 }
                if ls == i { throw Error(description: "expected label name in \(goQuote(line))") }
                let name = String(decoding: b[ls..<i], as: UTF8.self)
                skipSpace()
                guard i < b.count, b[i] == 61 else { throw Error(description: "expected '=' in \(goQuote(line))") }
                i += 1
                skipSpace()
                guard i < b.count, b[i] == 34 || b[i] == 39 || b[i] == 96 else {
                    throw Error(description: "expected label value in \(goQuote(line))")
                }
                let q = b[i]
                let vs = i
                i += 1
                while i < b.count, b[i] != q {
                    if b[i] == 92, q != 96 { i += 1 }
                    i += 1
                }
                guard i < b.count else { throw Error(description: "unterminated label value in \(goQuote(line))") }
                i += 1
                let value = try unquoteGo(String(decoding: b[vs..<i], as: UTF8.self))
                pairs.append(Label(name, value))
                skipSpace()
                if i < b.count, b[i] == 44 { i += 1 }
            }
        }
        if pairs.isEmpty && i == nameStart { throw Error(description: "missing metric in \(goQuote(line))") }
        let rest = String(decoding: b[i...], as: UTF8.self)
        var values: [Double?] = []
        for item in rest.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            values.append(contentsOf: try expand(String(item)))
        }
        return (Labels(pairs), values)
    }

    static func expand(_ item: String) throws -> [Double?] {
        if item == "_" { return [nil] }
        if item.hasPrefix("_x") {
            guard let n = Int(item.dropFirst(2)) else { throw Error(description: "bad repetition in \(goQuote(item))") }
            return Array(repeating: nil, count: n)
        }
        if item == "stale" { return [staleNaN] }
        let u = Array(item.utf8)
        var i = 0
        guard let start = scanNumber(u, &i) else { throw Error(description: "bad value \(goQuote(item))") }
        if i == u.count { return [start] }
        var delta = 0.0
        if u[i] == 43 || u[i] == 45 {
            let neg = u[i] == 45
            i += 1
            guard let d = scanNumber(u, &i, allowSign: false) else { throw Error(description: "bad value \(goQuote(item))") }
            delta = neg ? -d : d
        }
        guard i < u.count, u[i] == 120, let n = Int(String(decoding: u[(i + 1)...], as: UTF8.self)), n >= 0 else {
            throw Error(description: "bad value \(goQuote(item))")
        }
        var out: [Double?] = []
        out.reserveCapacity(n + 1)
        var cur = start
        for _ in 0...n {
            out.append(cur)
            cur += delta
        }
        return out
    }

    /// A number at `i`: optional sign, Inf/NaN or decimal with exponent; stops before `x`.
    static func scanNumber(_ u: [UInt8], _ i: inout Int, allowSign: Bool = true) -> Double? {
        let s = i
        if allowSign, i < u.count, u[i] == 43 || u[i] == 45 { i += 1 }
        let word = String(decoding: u[i...], as: UTF8.self).lowercased()
        for special in ["inf", "nan"] where word.hasPrefix(special) {
            i += 3
            return parseGoFloat(String(decoding: u[s..<i], as: UTF8.self))
        }
        let ds = i
        while i < u.count, Lexer.isDigit(u[i]) || u[i] == 46 { i += 1 }
        if i < u.count, u[i] == 101 || u[i] == 69 {
            i += 1
            if i < u.count, u[i] == 43 || u[i] == 45 { i += 1 }
            while i < u.count, Lexer.isDigit(u[i]) { i += 1 }
        }
        if i == ds { return nil }
        return Double(String(decoding: u[s..<i], as: UTF8.self))
    }
}
