#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)`: `%v` is the shortest round-trip `%g` with
/// Go's exponent threshold (`1e+06`, not JavaScript's), and explicit precisions round the
/// exact binary value, which C's printf also does, so fixed-precision digits come from it.
enum GoFloatFormat {
    /// `strconv.FormatFloat` for fmt `e`, `E`, `f`, `g`, `G`, `b`, `x`, `X`; prec -1 = shortest.
    static func format(_ v: Double, _ fmt: UInt8, _ prec: Int) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        switch fmt {
        case UInt8(ascii: "b"): return formatB(v)
        case UInt8(ascii: "x"), UInt8(ascii: "X"): return formatX(v, fmt, prec)
        default: break
        }
        let neg = v.sign == .minus
        var digs: Decimal
        var shortest = false
        var p = prec
        if prec < 0 {
            shortest = true
            digs = shortestDigits(v)
            switch fmt {
            case UInt8(ascii: "e"), UInt8(ascii: "E"): p = max(digs.d.count - 1, 0)
            case UInt8(ascii: "f"): p = max(digs.d.count - digs.dp, 0)
            default: p = digs.d.count
            }
        } else {
            switch fmt {
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                digs = roundedDigits(v, significant: p + 1)
            case UInt8(ascii: "f"):
                return fixedC(v, p)
            default:
                if p == 0 { p = 1 }
                digs = roundedDigits(v, significant: p)
            }
        }
        switch fmt {
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            return fmtE(neg, digs, p, fmt)
        case UInt8(ascii: "f"):
            return fmtF(neg, digs, p)
        default:
            var eprec = p
            if eprec > digs.d.count && digs.d.count >= digs.dp { eprec = digs.d.count }
            if shortest { eprec = 6 }
            let exp = digs.dp - 1
            if exp < -4 || exp >= eprec {
                if p > digs.d.count { p = digs.d.count }
                return fmtE(neg, digs, p - 1, fmt == UInt8(ascii: "G") ? UInt8(ascii: "E") : UInt8(ascii: "e"))
            }
            if p > digs.dp { p = digs.d.count }
            return fmtF(neg, digs, max(p - digs.dp, 0))
        }
    }

    /// Decimal digits without trailing zeros; value = 0.d1d2… × 10^dp. Zero has no digits.
    struct Decimal {
        var d: [UInt8]
        var dp: Int
    }

    static func shortestDigits(_ v: Double) -> Decimal {
        if v == 0 { return Decimal(d: [], dp: 0) }
        return parseDigits(Array(abs(v).description.utf8))
    }

    static func roundedDigits(_ v: Double, significant n: Int) -> Decimal {
        if v == 0 { return Decimal(d: [], dp: 0) }
        let s = cFormat(abs(v), "%.*e", n - 1)
        return parseDigits(Array(s.utf8))
    }

    /// Parses "1.2345e+05" / "123.45" / "1e-07" into digits and decimal point position.
    private static func parseDigits(_ s: [UInt8]) -> Decimal {
        var mantissa = s[...]
        var exp = 0
        if let e = s.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = s[..<e]
            exp = Int(String(decoding: s[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var dp = 0
        var seenPoint = false
        for c in mantissa {
            if c == UInt8(ascii: ".") {
                seenPoint = true
                continue
            }
            digits.append(c)
            if !seenPoint { dp += 1 }
        }
        while let f = digits.first, f == UInt8(ascii: "0") {
            digits.removeFirst()
            dp -= 1
        }
        while let l = digits.last, l == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { return Decimal(d: [], dp: 0) }
        return Decimal(d: digits, dp: dp + exp)
    }

    private static func fmtE(_ neg: Bool, _ digs: Decimal, _ prec: Int, _ fmt: UInt8) -> String {
        var out: [UInt8] = neg ? [UInt8(ascii: "-")] : []
        out.append(digs.d.isEmpty ? UInt8(ascii: "0") : digs.d[0])
        if prec > 0 {
            out.append(UInt8(ascii: "."))
            var i = 1
            let m = min(digs.d.count, prec + 1)
            if i < m {
                out.append(contentsOf: digs.d[i..<m])
                i = m
            }
            while i <= prec {
                out.append(UInt8(ascii: "0"))
                i += 1
            }
        }
        out.append(fmt)
        var exp = digs.dp - 1
        if digs.d.isEmpty { exp = 0 }
        if exp < 0 {
            out.append(UInt8(ascii: "-"))
            exp = -exp
        } else {
            out.append(UInt8(ascii: "+"))
        }
        if exp < 10 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0") + UInt8(exp))
        } else {
            out.append(contentsOf: Array(String(exp).utf8))
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func fmtF(_ neg: Bool, _ digs: Decimal, _ prec: Int) -> String {
        var out: [UInt8] = neg ? [UInt8(ascii: "-")] : []
        if digs.dp > 0 {
            var m = min(digs.d.count, digs.dp)
            out.append(contentsOf: digs.d[0..<m])
            while m < digs.dp {
                out.append(UInt8(ascii: "0"))
                m += 1
            }
        } else {
            out.append(UInt8(ascii: "0"))
        }
        if prec > 0 {
            out.append(UInt8(ascii: "."))
            for i in 1...prec {
                let j = digs.dp + i - 1
                out.append(j >= 0 && j < digs.d.count ? digs.d[j] : UInt8(ascii: "0"))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func fixedC(_ v: Double, _ prec: Int) -> String {
        cFormat(v, "%.*f", prec)
    }

    private static func cFormat(_ v: Double, _ format: String, _ prec: Int) -> String {
        var size = 512
        while true {
            var buf = [CChar](repeating: 0, count: size)
            let n = withVaList([Int32(prec), v]) { args in
                vsnprintf(&buf, size, format, args)
            }
            if n < size {
                return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            }
            size = Int(n) + 1
        }
    }

    /// `%b`: decimal mantissa and binary exponent, e.g. 4503599627370496p-52.
    private static func formatB(_ v: Double) -> String {
        let bits = v.bitPattern
        let neg = bits >> 63 != 0
        var exp = Int((bits >> 52) & 0x7FF)
        var mant = bits & ((1 << 52) - 1)
        if exp == 0 {
            exp += 1
        } else {
            mant |= 1 << 52
        }
        exp += -1023 - 52
        return (neg ? "-" : "") + String(mant) + "p" + (exp >= 0 ? "+" : "") + String(exp)
    }

    /// `%x`: hexadecimal mantissa and binary exponent, e.g. 0x1.8p+01.
    private static func formatX(_ v: Double, _ fmt: UInt8, _ prec: Int) -> String {
        let bits = v.bitPattern
        let neg = bits >> 63 != 0
        var exp = Int((bits >> 52) & 0x7FF)
        var mant = bits & ((1 << 52) - 1)
        if exp == 0 {
            exp += 1
        } else {
            mant |= 1 << 52
        }
        exp += -1023
        if mant == 0 { exp = 0 }
        mant <<= 60 - 52
        while mant != 0 && mant & (1 << 60) == 0 {
            mant <<= 1
            exp -= 1
        }
        if prec >= 0 && prec < 15 {
            let shift = UInt64(prec * 4)
            let extra = (mant << shift) & ((1 << 60) - 1)
            mant >>= 60 - shift
            if extra | (mant & 1) > 1 << 59 { mant += 1 }
            mant <<= 60 - shift
            if mant & (1 << 61) != 0 {
                mant >>= 1
                exp += 1
            }
        }
        let hex = Array((fmt == UInt8(ascii: "X") ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = neg ? [UInt8(ascii: "-")] : []
        out += [UInt8(ascii: "0"), fmt, UInt8(ascii: "0") + UInt8((mant >> 60) & 1)]
        mant <<= 4
        if prec < 0 && mant != 0 {
            out.append(UInt8(ascii: "."))
            while mant != 0 {
                out.append(hex[Int((mant >> 60) & 15)])
                mant <<= 4
            }
        } else if prec > 0 {
            out.append(UInt8(ascii: "."))
            for _ in 0..<prec {
                out.append(hex[Int((mant >> 60) & 15)])
                mant <<= 4
            }
        }
        out.append(fmt == UInt8(ascii: "X") ? UInt8(ascii: "P") : UInt8(ascii: "p"))
        if exp < 0 {
            out.append(UInt8(ascii: "-"))
            exp = -exp
        } else {
            out.append(UInt8(ascii: "+"))
        }
        if exp < 10 { out.append(UInt8(ascii: "0")) }
        out += Array(String(exp).utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
