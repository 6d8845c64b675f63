/// Go's sin, cos, tan (Cephes with Payne-Hanek reduction for huge arguments), asin, acos,
/// atan and atan2.
extension GoLibm {
    static let sinCoef: [Double] = [1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
                                    -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1]
    static let cosCoef: [Double] = [-1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7,
                                    2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2]

    /// Octant j and reduced argument z of x >= 0 (both Cephes reduction and Payne-Hanek).
    static func reduce(_ x: Double) -> (UInt64, Double) {
        if x >= reduceThreshold { return trigReduce(x) }
        var j = UInt64(x * fourOverPi)
        var y = Double(j)
        if j & 1 == 1 {
            j += 1
            y += 1
        }
        j &= 7
        return (j, ((x - y * pi4A) - y * pi4B) - y * pi4C)
    }

    static func sinPoly(_ z: Double, _ zz: Double) -> Double {
        let s = sinCoef
        return z + z * zz * ((((((s[0] * zz) + s[1]) * zz + s[2]) * zz + s[3]) * zz + s[4]) * zz + s[5])
    }

    static func cosPoly(_ zz: Double) -> Double {
        let c = cosCoef
        return 1.0 - 0.5 * zz + zz * zz * ((((((c[0] * zz) + c[1]) * zz + c[2]) * zz + c[3]) * zz + c[4]) * zz + c[5])
    }

    static func sin(_ x0: Double) -> Double {
        if x0 == 0 || x0.isNaN { return x0 }
        if x0.isInfinite { return .nan }
        var x = x0
        var sign = false
        if x < 0 {
            x = -x
            sign = true
        }
        var (j, z) = reduce(x)
        if j > 3 {
            sign.toggle()
            j -= 4
        }
        let zz = z * z
        var y = (j == 1 || j == 2) ? cosPoly(zz) : sinPoly(z, zz)
        if sign { y = -y }
        return y
    }

    static func cos(_ x0: Double) -> Double {
        if x0.isNaN || x0.isInfinite { return .nan }
        var sign = false
        var (j, z) = reduce(abs(x0))
        if j > 3 {
            j -= 4
            sign.toggle()
        }
        if j > 1 { sign.toggle() }
        let zz = z * z
        var y = (j == 1 || j == 2) ? sinPoly(z, zz) : cosPoly(zz)
        if sign { y = -y }
        return y
    }

    static func tan(_ x0: Double) -> Double {
        if x0 == 0 || x0.isNaN { return x0 }
        if x0.isInfinite { return .nan }
        let p: [Double] = [-1.30936939181383777646e4, 1.15351664838587416140e6, -1.79565251976484877988e7]
        let q: [Double] = [1.0, 1.36812963470692954678e4, -1.32089234440210967447e6, 2.50083801823357915839e7,
                           -5.38695755929454629881e7]
        var x = x0
        var sign = false
        if x < 0 {
            x = -x
            sign = true
        }
        var j: UInt64
        var z: Double
        if x >= reduceThreshold {
            (j, z) = trigReduce(x)
        } else {
            j = UInt64(x * fourOverPi)
            var y = Double(j)
            if j & 1 == 1 {
                j += 1
                y += 1
            }
            z = ((x - y * pi4A) - y * pi4B) - y * pi4C
        }
        let zz = z * z
        var y: Double
        if zz > 1e-14 {
            y = z + z * (zz * (((p[0] * zz) + p[1]) * zz + p[2]) / ((((zz + q[1]) * zz + q[2]) * zz + q[3]) * zz + q[4]))
        } else {
            y = z
        }
        if j & 2 == 2 { y = -1 / y }
        if sign { y = -y }
        return y
    }

    static let mPi4: [UInt64] = [
        0x0000_0000_0000_0001, 0x45F3_06DC_9C88_2A53, 0xF84E_AFA3_EA69_BB81, 0xB6C5_2B32_7887_2083,
        0xFCA2_C757_BD77_8AC3, 0x6E48_DC74_849B_A5C0, 0x0C92_5DD4_13A3_2439, 0xFC3B_D639_6253_4E7D,
        0xD104_6BEA_5D76_8909, 0xD338_E04D_68BE_FC82, 0x7323_AC73_06A6_73E9, 0x3908_BF17_7BF2_5076,
        0x3FF1_2FFF_BC0B_301F, 0xDE5E_2316_B414_DA3E, 0xDA6C_FD9E_4F96_136E, 0x9E8C_7ECD_3CBF_D45A,
        0xEA4F_758F_D7CB_E2F6, 0x7A0E_73EF_14A5_25D4, 0xD7F6_BF62_3F1A_BA10, 0xAC06_608D_F8F6_D757,
    ]

    /// Payne-Hanek reduction by Pi/4 for huge arguments (Go's trigReduce).
    static func trigReduce(_ x: Double) -> (UInt64, Double) {
        let pi4 = 0.78539816339744830962
        if x < pi4 { return (0, x) }
        var ix = x.bitPattern
        let exp = Int((ix >> 52) & 0x7FF) - 1023 - 52
        ix &= ~(UInt64(0x7FF) << 52)
        ix |= 1 << 52
        let digit = (exp + 61) / 64, bitshift = UInt64((exp + 61) % 64)
        let z0 = (mPi4[digit] << bitshift) | (mPi4[digit + 1] >> (64 - bitshift))
        let z1 = (mPi4[digit + 1] << bitshift) | (mPi4[digit + 2] >> (64 - bitshift))
        let z2 = (mPi4[digit + 2] << bitshift) | (mPi4[digit + 3] >> (64 - bitshift))
        let z2hi = z2.multipliedFullWidth(by: ix).high
        let (z1hi, z1lo) = z1.multipliedFullWidth(by: ix)
        let z0lo = z0 &* ix
        let (lo, carry) = z1lo.addingReportingOverflow(z2hi)
        var hi = z0lo &+ z1hi &+ (carry ? 1 : 0)
        var j = hi >> 61
        hi = hi << 3 | lo >> 61
        let lz = UInt64(hi.leadingZeroBitCount)
        let e = UInt64(1023) &- (lz + 1)
        hi = (hi << (lz + 1)) | (lo >> (64 - (lz + 1)))
        hi >>= 64 - 52
        hi |= e << 52
        var z = Double(bitPattern: hi)
        if j & 1 == 1 {
            j += 1
            j &= 7
            z -= 1
        }
        return (j, z * pi4)
    }

    static func xatan(_ x: Double) -> Double {
        let p0 = -8.750608600031904122785e-01, p1 = -1.615753718733365076637e+01, p2 = -7.500855792314704667340e+01
        let p3 = -1.228866684490136173410e+02, p4 = -6.485021904942025371773e+01
        let q0 = 2.485846490142306297962e+01, q1 = 1.650270098316988542046e+02, q2 = 4.328810604912902668951e+02
        let q3 = 4.853903996359136964868e+02, q4 = 1.945506571482613964425e+02
        var z = x * x
        z = z * ((((p0 * z + p1) * z + p2) * z + p3) * z + p4) / (((((z + q0) * z + q1) * z + q2) * z + q3) * z + q4)
        return x * z + x
    }

    static func satan(_ x: Double) -> Double {
        let morebits = 6.123233995736765886130e-17, tan3pio8 = 2.41421356237309504880
        if x <= 0.66 { return xatan(x) }
        if x > tan3pio8 { return pi / 2 - xatan(1 / x) + morebits }
        return pi / 4 + xatan((x - 1) / (x + 1)) + 0.5 * morebits
    }

    static func atan(_ x: Double) -> Double {
        if x == 0 { return x }
        return x > 0 ? satan(x) : -satan(-x)
    }

    static func atan2(_ y: Double, _ x: Double) -> Double {
        if y.isNaN || x.isNaN { return .nan }
        if y == 0 {
            if x >= 0 && x.sign == .plus { return Double(signOf: y, magnitudeOf: 0) }
            return Double(signOf: y, magnitudeOf: pi)
        }
        if x == 0 { return Double(signOf: y, magnitudeOf: pi / 2) }
        if x.isInfinite {
            if x > 0 { return y.isInfinite ? Double(signOf: y, magnitudeOf: pi / 4) : Double(signOf: y, magnitudeOf: 0) }
            return y.isInfinite ? Double(signOf: y, magnitudeOf: 2.35619449019234492885) : Double(signOf: y, magnitudeOf: pi)
        }
        if y.isInfinite { return Double(signOf: y, magnitudeOf: pi / 2) }
        let q = atan(y / x)
        if x < 0 { return q <= 0 ? q + pi : q - pi }
        return q
    }

    static func asin(_ x0: Double) -> Double {
        if x0 == 0 { return x0 }
        var x = x0
        var sign = false
        if x < 0 {
            x = -x
            sign = true
        }
        if x > 1 { return .nan }
        var temp = (1 - x * x).squareRoot()
        if x > 0.7 { temp = pi / 2 - satan(temp / x) } else { temp = satan(x / temp) }
        return sign ? -temp : temp
    }

    static func acos(_ x: Double) -> Double { pi / 2 - asin(x) }

}
