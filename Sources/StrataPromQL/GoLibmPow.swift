/// Go's Pow: exact special cases, x**frac via Exp(Log), integer part by repeated squaring.
extension GoLibm {
    static func isOddInt(_ x: Double) -> Bool {
        let xi = x.rounded(.towardZero)
        guard x - xi == 0, abs(xi) < 9.2e18 else { return false }
        return Int64(xi) & 1 == 1
    }

    static func pow(_ x: Double, _ y0: Double) -> Double {
        let y = y0
        if y == 0 || x == 1 { return 1 }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 {
            if y < 0 { return isOddInt(y) ? Double(signOf: x, magnitudeOf: .infinity) : .infinity }
            if y > 0 { return isOddInt(y) ? x : 0 }
        }
        if y.isInfinite {
            if x == -1 { return 1 }
            if (abs(x) < 1) == (y > 0) { return 0 }
            return .infinity
        }
        if x.isInfinite {
            if x < 0 { return pow(1 / x, -y) }
            if y < 0 { return 0 }
            if y > 0 { return .infinity }
        }
        if y == 0.5 { return x.squareRoot() }
        if y == -0.5 { return 1 / x.squareRoot() }
        var yi = abs(y).rounded(.towardZero)
        var yf = abs(y) - yi
        if yf != 0 && x < 0 { return .nan }
        if yi >= 9.223372036854775808e18 {
            if x == -1 { return 1 }
            if (abs(x) < 1) == (y > 0) { return 0 }
            return .infinity
        }
        var a1 = 1.0
        var ae = 0
        if yf != 0 {
            if yf > 0.5 {
                yf -= 1
                yi += 1
            }
            a1 = exp(yf * log(x))
        }
        var (x1, xe) = frexp(x)
        var i = Int64(yi)
        while i != 0 {
            if xe < -(1 << 12) || (1 << 12) < xe {
                ae += xe
                break
            }
            if i & 1 == 1 {
                a1 *= x1
                ae += xe
            }
            x1 *= x1
            xe <<= 1
            if x1 < 0.5 {
                x1 += x1
                xe -= 1
            }
            i >>= 1
        }
        if y < 0 {
            a1 = 1 / a1
            ae = -ae
        }
        return ldexp(a1, ae)
    }
}
