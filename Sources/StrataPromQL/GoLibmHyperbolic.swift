/// Go's sinh, cosh, tanh, asinh, acosh and atanh.
extension GoLibm {
    static func sinh(_ x0: Double) -> Double {
        let p0 = -0.6307673640497716991184787251e+6, p1 = -0.8991272022039509355398013511e+5
        let p2 = -0.2894211355989563807284660366e+4, p3 = -0.2630563213397497062819489e+2
        let q0 = -0.6307673640497716991212077277e+6, q1 = 0.1521517378790019070696485176e+5
        let q2 = -0.173678953558233699533450911e+3
        var x = x0
        var sign = false
        if x < 0 {
            x = -x
            sign = true
        }
        var temp: Double
        if x > 21 {
            temp = exp(x) * 0.5
        } else if x > 0.5 {
            let ex = exp(x)
            temp = (ex - 1 / ex) * 0.5
        } else {
            let sq = x * x
            temp = (((p3 * sq + p2) * sq + p1) * sq + p0) * x
            temp = temp / (((sq + q2) * sq + q1) * sq + q0)
        }
        return sign ? -temp : temp
    }

    static func cosh(_ x0: Double) -> Double {
        let x = abs(x0)
        if x > 21 { return exp(x) * 0.5 }
        let ex = exp(x)
        return (ex + 1 / ex) * 0.5
    }

    static func tanh(_ x: Double) -> Double {
        let p: [Double] = [-9.64399179425052238628E-1, -9.92877231001918586564E1, -1.61468768441708447952E3]
        let q: [Double] = [1.12811678491632931402E2, 2.23548839060100448583E3, 4.84406305325125486048E3]
        let maxlog = 8.8029691931113054295988e+01
        var z = abs(x)
        if z > 0.5 * maxlog { return x < 0 ? -1 : 1 }
        if z >= 0.625 {
            let s = exp(2 * z)
            z = 1 - 2 / (s + 1)
            if x < 0 { z = -z }
            return z
        }
        if x == 0 { return x }
        let s = x * x
        return x + x * s * ((p[0] * s + p[1]) * s + p[2]) / (((s + q[0]) * s + q[1]) * s + q[2])
    }

    static func asinh(_ x0: Double) -> Double {
        let ln2 = 6.93147180559945286227e-01
        if x0.isNaN || x0.isInfinite { return x0 }
        var x = x0
        var sign = false
        if x < 0 {
            x = -x
            sign = true
        }
        var temp: Double
        if x > 268_435_456 {
            temp = log(x) + ln2
        } else if x > 2 {
            temp = log(2 * x + 1 / ((x * x + 1).squareRoot() + x))
        } else if x < 1.0 / 268_435_456 {
            temp = x
        } else {
            temp = log1p(x + x * x / (1 + (1 + x * x).squareRoot()))
        }
        return sign ? -temp : temp
    }

    static func acosh(_ x: Double) -> Double {
        let ln2 = 6.93147180559945286227e-01
        if x < 1 || x.isNaN { return .nan }
        if x == 1 { return 0 }
        if x >= 268_435_456 { return log(x) + ln2 }
        if x > 2 { return log(2 * x - 1 / (x + (x * x - 1).squareRoot())) }
        let t = x - 1
        return log1p(t + (2 * t + t * t).squareRoot())
    }

    static func atanh(_ x0: Double) -> Double {
        if x0 < -1 || x0 > 1 || x0.isNaN { return .nan }
        if x0 == 1 { return .infinity }
        if x0 == -1 { return -.infinity }
        var x = x0
        var sign = false
        if x < 0 {
            x = -x
            sign = true
        }
        var temp: Double
        if x < 1.0 / 268_435_456 {
            temp = x
        } else if x < 0.5 {
            temp = x + x
            temp = 0.5 * log1p(temp + temp * x / (1 - x))
        } else {
            temp = 0.5 * log1p((x + x) / (1 - x))
        }
        return sign ? -temp : temp
    }

}
