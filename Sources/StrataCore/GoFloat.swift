/// Go's float formatting, byte for byte: `%g` as promtool prints sample values and
/// `strconv.FormatFloat(v, 'f', -1, 64)` as the Prometheus HTTP API writes them. Both use the
/// shortest digit string that round-trips, which Swift's `description` also produces.
public enum GoFloat {
    /// Shortest round-trip decimal digits of |v| (no leading/trailing zeros) and the decimal
    /// point position: |v| = 0.d1d2d3… × 10^dp.
    static func shortestDigits(_ v: Double) -> (digits: [UInt8], dp: Int) {
        let s = Array(abs(v).description.utf8)
        var mantissa: ArraySlice<UInt8> = s[...]
        var exp = 0
        if let e = s.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = s[..<e]
            exp = Int(String(decoding: s[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var dp = 0
        var seenPoint = false
        for c in mantissa {
            if c == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(c)
            if !seenPoint { dp += 1 }
        }
        while let f = digits.first, f == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst(); dp -= 1 }
        while let l = digits.last, l == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
        if digits == [UInt8(ascii: "0")] { return ([], 0) }
        return (digits, dp + exp)
    }

    static func special(_ v: Double) -> String? {
        if v.isNaN { return "NaN" }
        if v == .infinity { return "+Inf" }
        if v == -.infinity { return "-Inf" }
        return nil
    }

    /// Go `%g` / `%v` of a float64 (e.g. `1e+06`, `123456`, `1.5`, `NaN`, `+Inf`).
    public static func g(_ v: Double) -> String {
        if let s = special(v) { return s }
        let neg = v.sign == .minus
        let (d, dp) = shortestDigits(v)
        var out = neg ? "-" : ""
        if d.isEmpty { return out + "0" }
        let exp = dp - 1
        // Shortest precision: Go switches to %e when exp < -4 or exp ≥ 6.
        if exp < -4 || exp >= 6 {
            out += String(UnicodeScalar(d[0]))
            if d.count > 1 { out += "." + String(decoding: d[1...], as: UTF8.self) }
            out += exp < 0 ? "e-" : "e+"
            let a = abs(exp)
            out += a < 10 ? "0\(a)" : "\(a)"
            return out
        }
        return out + fixed(d, dp)
    }

    /// Go `strconv.FormatFloat(v, 'f', -1, 64)`, with Prometheus's NaN/+Inf/-Inf spelling.
    public static func f(_ v: Double) -> String {
        if let s = special(v) { return s }
        let (d, dp) = shortestDigits(v)
        let neg = v.sign == .minus
        if d.isEmpty { return neg ? "-0" : "0" }
        return (neg ? "-" : "") + fixed(d, dp)
    }

    static func fixed(_ d: [UInt8], _ dp: Int) -> String {
        var out = [UInt8]()
        if dp <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -dp))
            out.append(contentsOf: d)
        } else if dp >= d.count {
            out.append(contentsOf: d)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: dp - d.count))
        } else {
            out.append(contentsOf: d[0..<dp])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: d[dp...])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
