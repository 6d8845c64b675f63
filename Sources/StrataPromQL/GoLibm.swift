import Foundation

/// Go's math package as Prometheus (Go on amd64) computes it. glibc's libm rounds some
/// results differently in the last bit; PromQL results must be bit-identical to
/// Prometheus's, so the functions PromQL exposes follow Go's algorithms (Cephes/FreeBSD
/// ports; Exp and Log as Go's amd64 assembly computes them).
enum GoLibm {
    static let pi = Double.pi
    static let fourOverPi = 1.2732395447351626862
    static let pi4A = 7.85398125648498535156e-1
    static let pi4B = 3.77489470793079817668e-8
    static let pi4C = 2.69515142907905952645e-15
    static let reduceThreshold: Double = 536_870_912 // 1 << 29

    /// Go uses the FMA path of its amd64 Exp when the CPU has AVX2 and FMA.
    static let useFMA: Bool = {
        #if arch(x86_64) && os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return true }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return flags.contains("avx2") && flags.contains("fma")
        #else
        return true
        #endif
    }()

    // MARK: exp and log (amd64 assembly algorithms)

    /// Go's amd64 assembly Exp (Shibata's method; FMA variant on AVX2+FMA CPUs), including
    /// its two-step scaling into subnormals and its overflow at 2^1024.
    static func exp(_ x: Double) -> Double {
        let bits = x.bitPattern
        let posInf: UInt64 = 0x7FF0_0000_0000_0000
        if bits & ~(1 << 63) >= posInf {
            if bits == 0xFFF0_0000_0000_0000 { return 0 }
            return x
        }
        if x > 7.09782712893384e+02 { return .infinity }
        let log2e = 1.4426950408889634073599246810018920
        let ln2U = 0.69314718055966295651160180568695068359375
        let ln2L = 0.28235290563031577122588448175013436025525412068e-12
        let t = log2e * x
        let r = t.rounded(.toNearestOrEven)
        let bx: Int32 = (r >= -2_147_483_648 && r <= 2_147_483_647) ? Int32(r) : Int32.min
        let k = Double(bx)
        let c: [Double] = [0.5, 1.0, 2.0, 1.6666666666666666667e-1, 4.1666666666666666667e-2,
                           8.3333333333333333333e-3, 1.3888888888888888889e-3, 1.9841269841269841270e-4,
                           2.4801587301587301587e-5]
        var x0 = x
        if useFMA {
            x0 = x0.addingProduct(-k, ln2U)
            x0 = x0.addingProduct(-k, ln2L)
            x0 *= 0.0625
            var x1 = c[8]
            x1 = c[7].addingProduct(x1, x0)
            x1 = c[6].addingProduct(x1, x0)
            x1 = c[5].addingProduct(x1, x0)
            x1 = c[4].addingProduct(x1, x0)
            x1 = c[3].addingProduct(x1, x0)
            x1 = c[0].addingProduct(x1, x0)
            x1 = c[1].addingProduct(x1, x0)
            x0 *= x1
            x1 = x0 + 2.0
            x0 *= x1
            x1 = x0 + 2.0
            x0 *= x1
            x1 = x0 + 2.0
            x0 *= x1
            x1 = x0 + 2.0
            x0 = 1.0.addingProduct(x0, x1)
        } else {
            x0 -= ln2U * k
            x0 -= ln2L * k
            x0 *= 0.0625
            var x1 = c[8]
            for idx in [7, 6, 5, 4, 3, 0, 1] {
                x1 *= x0
                x1 += c[idx]
            }
            x0 *= x1
            for _ in 0..<4 {
                let y = x0 + 2.0
                x0 *= y
            }
            x0 += 1.0
        }
        var e = bx &+ 1023
        if e <= 0 {
            if e < -52 { return 0 }
            x0 *= Double(bitPattern: UInt64(e + 1022) << 52)
            e = 1
        } else if e >= 0x7FF {
            return .infinity
        }
        return x0 * Double(bitPattern: UInt64(e) << 52)
    }

    static func log(_ x: Double) -> Double {
        let bx = x.bitPattern
        if bx & ~(1 << 63) == 0 { return -.infinity }
        if Int64(bitPattern: bx) < 0 { return Double(bitPattern: 0x7FF8_0000_0000_0001) }
        if bx >= 0x7FF0_0000_0000_0000 { return x }
        let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
        let l1 = 6.666666666666735130e-01, l2 = 3.999999999940941908e-01, l3 = 2.857142874366239149e-01
        let l4 = 2.222219843214978396e-01, l5 = 1.818357216161805012e-01, l6 = 1.531383769920937332e-01
        let l7 = 1.479819860511658591e-01
        var f1 = Double(bitPattern: (bx & 0x000F_FFFF_FFFF_FFFF) | 0x3FE0_0000_0000_0000)
        var k = Double(Int32(truncatingIfNeeded: Int64((bx >> 52) & 0x7FF) - 0x3FE))
        if !(7.07106781186547524401e-01 < f1) {
            k -= 1
            f1 *= 2
        }
        let f = f1 - 1
        let s = f / (2 + f)
        let s2 = s * s
        let s4 = s2 * s2
        var t1 = l7 * s4
        t1 += l5
        t1 *= s4
        t1 += l3
        t1 *= s4
        t1 += l1
        t1 = s2 * t1
        var t2 = l6 * s4
        t2 += l4
        t2 *= s4
        t2 += l2
        t2 = s4 * t2
        let r = t1 + t2
        let hfsq = 0.5 * f * f
        var a = hfsq + r
        a = s * a
        a += k * ln2Lo
        var b = hfsq - a
        b -= f
        return k * ln2Hi - b
    }

    static func frexp(_ f0: Double) -> (Double, Int) {
        if f0 == 0 || f0.isInfinite || f0.isNaN { return (f0, 0) }
        var f = f0
        var exp = 0
        if abs(f) < 2.2250738585072014e-308 {
            f *= 4_503_599_627_370_496 // 1 << 52
            exp = -52
        }
        var x = f.bitPattern
        exp += Int((x >> 52) & 0x7FF) - 1022
        x &= ~(UInt64(0x7FF) << 52)
        x |= UInt64(1022) << 52
        return (Double(bitPattern: x), exp)
    }

    static func ldexp(_ frac0: Double, _ exp0: Int) -> Double {
        if frac0 == 0 || frac0.isInfinite || frac0.isNaN { return frac0 }
        var frac = frac0
        var exp = exp0
        if abs(frac) < 2.2250738585072014e-308 {
            frac *= 4_503_599_627_370_496
            exp -= 52
        }
        var x = frac.bitPattern
        exp += Int((x >> 52) & 0x7FF) - 1023
        if exp < -1075 { return frac < 0 ? -0.0 : 0.0 }
        if exp > 1023 { return frac < 0 ? -.infinity : .infinity }
        var m = 1.0
        if exp < -1022 {
            exp += 53
            m = 1.0 / 9_007_199_254_740_992 // 2**-53
        }
        x &= ~(UInt64(0x7FF) << 52)
        x |= UInt64(exp + 1023) << 52
        return m * Double(bitPattern: x)
    }

    static func log2(_ x: Double) -> Double {
        let (frac, e) = frexp(x)
        if frac == 0.5 { return Double(e - 1) }
        return log(frac) * 1.4426950408889634074 + Double(e)
    }

    static func log10(_ x: Double) -> Double { log(x) * 0.43429448190325182765 }

    static func log1p(_ x: Double) -> Double {
        let sqrt2M1 = 4.142135623730950488017e-01, sqrt2HalfM1 = -2.928932188134524755992e-01
        let small = 1.0 / 536_870_912.0, tiny = 1.0 / 18_014_398_509_481_984.0, two53 = 9_007_199_254_740_992.0
        let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
        let lp1 = 6.666666666666735130e-01, lp2 = 3.999999999940941908e-01, lp3 = 2.857142874366239149e-01
        let lp4 = 2.222219843214978396e-01, lp5 = 1.818357216161805012e-01, lp6 = 1.531383769920937332e-01
        let lp7 = 1.479819860511658591e-01
        if x < -1 || x.isNaN { return .nan }
        if x == -1 { return -.infinity }
        if x == .infinity { return .infinity }
        let absx = abs(x)
        var f = 0.0
        var iu: UInt64 = 0
        var k = 1
        if absx < sqrt2M1 {
            if absx < small {
                if absx < tiny { return x }
                return x - x * x * 0.5
            }
            if x > sqrt2HalfM1 {
                k = 0
                f = x
                iu = 1
            }
        }
        var c = 0.0
        if k != 0 {
            var u: Double
            if absx < two53 {
                u = 1.0 + x
                iu = u.bitPattern
                k = Int(Int64(bitPattern: (iu >> 52) &- 1023))
                if k > 0 { c = 1.0 - (u - x) } else { c = x - (u - 1.0) }
                c /= u
            } else {
                u = x
                iu = u.bitPattern
                k = Int(Int64(bitPattern: (iu >> 52) &- 1023))
                c = 0
            }
            iu &= 0x000F_FFFF_FFFF_FFFF
            if iu < 0x0006_A09E_667F_3BCD {
                u = Double(bitPattern: iu | 0x3FF0_0000_0000_0000)
            } else {
                k += 1
                u = Double(bitPattern: iu | 0x3FE0_0000_0000_0000)
                iu = (0x0010_0000_0000_0000 - iu) >> 2
            }
            f = u - 1.0
        }
        let hfsq = 0.5 * f * f
        let dk = Double(k)
        if iu == 0 {
            if f == 0 {
                if k == 0 { return 0 }
                c += dk * ln2Lo
                return dk * ln2Hi + c
            }
            let r = hfsq * (1.0 - 0.66666666666666666 * f)
            if k == 0 { return f - r }
            return dk * ln2Hi - ((r - (dk * ln2Lo + c)) - f)
        }
        let s = f / (2.0 + f)
        let z = s * s
        let r = z * (lp1 + z * (lp2 + z * (lp3 + z * (lp4 + z * (lp5 + z * (lp6 + z * lp7))))))
        if k == 0 { return f - (hfsq - s * (hfsq + r)) }
        return dk * ln2Hi - ((hfsq - (s * (hfsq + r) + (dk * ln2Lo + c))) - f)
    }
}
