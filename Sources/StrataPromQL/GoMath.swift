import Foundation

/// Go's math.Max: +Inf wins over NaN, NaN over everything else, +0 over -0.
@inline(__always)
func goMax(_ x: Double, _ y: Double) -> Double {
    if x == .infinity || y == .infinity { return .infinity }
    if x.isNaN || y.isNaN { return .nan }
    if x == 0 && x == y { return x.sign == .minus ? y : x }
    return x > y ? x : y
}

/// Go's math.Min: -Inf wins over NaN, NaN over everything else, -0 over +0.
@inline(__always)
func goMin(_ x: Double, _ y: Double) -> Double {
    if x == -.infinity || y == -.infinity { return -.infinity }
    if x.isNaN || y.isNaN { return .nan }
    if x == 0 && x == y { return x.sign == .minus ? x : y }
    return x < y ? x : y
}

func goPow(_ x: Double, _ y: Double) -> Double { GoLibm.pow(x, y) }
func goMod(_ x: Double, _ y: Double) -> Double { fmod(x, y) }
func atan2Go(_ y: Double, _ x: Double) -> Double { GoLibm.atan2(y, x) }

/// Kahan-Babuska summation step (Prometheus's kahanSumInc).
@inline(__always)
func kahanSumInc(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
    let t = sum + inc
    var c = c
    if abs(sum) >= abs(inc) {
        c += (sum - t) + inc
    } else {
        c += (inc - t) + sum
    }
    return (t, c)
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that round-trips, never
/// in exponent form; `NaN`, `+Inf`, `-Inf` for the specials.
public func formatGoFloat(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v == .infinity { return "+Inf" }
    if v == -.infinity { return "-Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    // Swift's description is the shortest round-trip representation; re-render it in fixed
    // notation.
    var s = "\(v)"
    var neg = false
    if s.hasPrefix("-") {
        neg = true
        s.removeFirst()
    }
    var exp = 0
    if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exp = Int(s[s.index(after: e)...])!
        s = String(s[..<e])
    }
    var intPart = s
    var frac = ""
    if let dot = s.firstIndex(of: ".") {
        intPart = String(s[..<dot])
        frac = String(s[s.index(after: dot)...])
    }
    var digits = intPart + frac
    var pointPos = intPart.count + exp
    // Trim leading zeros, keeping track of the decimal point.
    while digits.count > 1, digits.hasPrefix("0") {
        digits.removeFirst()
        pointPos -= 1
    }
    while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
    var out: String
    if pointPos <= 0 {
        out = "0." + String(repeating: "0", count: -pointPos) + digits
    } else if pointPos >= digits.count {
        out = digits + String(repeating: "0", count: pointPos - digits.count)
    } else {
        let idx = digits.index(digits.startIndex, offsetBy: pointPos)
        out = String(digits[..<idx]) + "." + String(digits[idx...])
    }
    if out == "0" || digits == "0" { out = "0" }
    return neg ? "-" + out : out
}

/// How the Prometheus HTTP API writes a sample value (jsonutil.MarshalFloat): Go's
/// shortest representation, in exponent form below 1e-6 and from 1e21 on, fixed otherwise.
public func formatAPIFloat(_ v: Double) -> String {
    let a = abs(v)
    if a != 0 && a.isFinite && (a < 1e-6 || a >= 1e21) { return formatGoExponent(v) }
    return formatGoFloat(v)
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `1.6923120162635149e-07`, `5e-324`.
public func formatGoExponent(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return v.sign == .minus ? "-0e+00" : "0e+00" }
    // Shortest round-trip digits from Swift, re-rendered as d.ddde±XX.
    var s = "\(abs(v))"
    var exp = 0
    if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exp = Int(s[s.index(after: e)...])!
        s = String(s[..<e])
    }
    var intPart = s, frac = ""
    if let dot = s.firstIndex(of: ".") {
        intPart = String(s[..<dot])
        frac = String(s[s.index(after: dot)...])
    }
    var digits = intPart + frac
    var pointPos = intPart.count + exp
    while digits.count > 1, digits.hasPrefix("0") {
        digits.removeFirst()
        pointPos -= 1
    }
    while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
    let e10 = pointPos - 1
    var out = String(digits.first!)
    if digits.count > 1 { out += "." + digits.dropFirst() }
    let ae = abs(e10)
    out += (e10 < 0 ? "e-" : "e+") + (ae < 10 ? "0\(ae)" : "\(ae)")
    return v < 0 ? "-" + out : out
}
