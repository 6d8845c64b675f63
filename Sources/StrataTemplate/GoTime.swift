/// Go's time.Time (UTC only) and time.Duration as templates use them: `toTime`/`toDuration`
/// return them, and templates call their methods (`.Format "2006"`, `.Add`, `.UnixMilli`,
/// `.String`), so layouts, `String()` forms and the calendar are Go's.
enum GoTime {
    static let nanosPerSecond: Int64 = 1_000_000_000

    // MARK: calendar

    struct Civil {
        var year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanosecond: Int
        var weekday: Int
        var yearDay: Int
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func civil(_ t: TemplateTime) -> Civil {
        let days = floorDiv(t.seconds, 86400)
        let secs = Int(t.seconds - days * 86400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        if m <= 2 { y += 1 }
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4).
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        var yday = cumulative[m - 1] + d
        if leap && m > 2 { yday += 1 }
        return Civil(year: y, month: m, day: d, hour: secs / 3600, minute: (secs / 60) % 60, second: secs % 60,
                     nanosecond: Int(t.nanoseconds), weekday: weekday, yearDay: yday)
    }

    static let longMonths = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]
    static let longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    // MARK: Format

    /// `time.Time.String()`.
    static func string(_ t: TemplateTime) -> String {
        format(t, "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    private enum Std {
        case none, longMonth, month, numMonth, zeroMonth, longWeekDay, weekDay, day, underDay, zeroDay,
             underYearDay, zeroYearDay, hour, hour12, zeroHour12, minute, zeroMinute, second, zeroSecond,
             longYear, year, pm, lowerPM, tz, iso8601(String), num(String), frac0(Int, UInt8), frac9(Int, UInt8)
    }

    private static func nextStdChunk(_ l: [UInt8]) -> (prefix: ArraySlice<UInt8>, std: Std, suffix: ArraySlice<UInt8>) {
        func has(_ i: Int, _ s: String) -> Bool {
            let b = Array(s.utf8)
            return i + b.count <= l.count && Array(l[i..<(i + b.count)]) == b
        }
        func lowerAt(_ i: Int) -> Bool { i < l.count && l[i] >= 0x61 && l[i] <= 0x7A }
        var i = 0
        while i < l.count {
            switch l[i] {
            case UInt8(ascii: "J"):
                if has(i, "Jan") {
                    if has(i, "January") { return (l[0..<i], .longMonth, l[(i + 7)...]) }
                    if !lowerAt(i + 3) { return (l[0..<i], .month, l[(i + 3)...]) }
                }
            case UInt8(ascii: "M"):
                if has(i, "Mon") {
                    if has(i, "Monday") { return (l[0..<i], .longWeekDay, l[(i + 6)...]) }
                    if !lowerAt(i + 3) { return (l[0..<i], .weekDay, l[(i + 3)...]) }
                }
                if has(i, "MST") { return (l[0..<i], .tz, l[(i + 3)...]) }
            case UInt8(ascii: "0"):
                if i + 1 < l.count, l[i + 1] >= UInt8(ascii: "1"), l[i + 1] <= UInt8(ascii: "6") {
                    let stds: [Std] = [.zeroMonth, .zeroDay, .zeroHour12, .zeroMinute, .zeroSecond, .year]
                    return (l[0..<i], stds[Int(l[i + 1] - UInt8(ascii: "1"))], l[(i + 2)...])
                }
                if has(i, "002") { return (l[0..<i], .zeroYearDay, l[(i + 3)...]) }
            case UInt8(ascii: "1"):
                if has(i, "15") { return (l[0..<i], .hour, l[(i + 2)...]) }
                return (l[0..<i], .numMonth, l[(i + 1)...])
            case UInt8(ascii: "2"):
                if has(i, "2006") { return (l[0..<i], .longYear, l[(i + 4)...]) }
                return (l[0..<i], .day, l[(i + 1)...])
            case UInt8(ascii: "_"):
                if has(i, "_2") {
                    if has(i + 1, "2006") { return (l[0..<(i + 1)], .longYear, l[(i + 5)...]) }
                    return (l[0..<i], .underDay, l[(i + 2)...])
                }
                if has(i, "__2") { return (l[0..<i], .underYearDay, l[(i + 3)...]) }
            case UInt8(ascii: "3"): return (l[0..<i], .hour12, l[(i + 1)...])
            case UInt8(ascii: "4"): return (l[0..<i], .minute, l[(i + 1)...])
            case UInt8(ascii: "5"): return (l[0..<i], .second, l[(i + 1)...])
            case UInt8(ascii: "P"):
                if has(i, "PM") { return (l[0..<i], .pm, l[(i + 2)...]) }
            case UInt8(ascii: "p"):
                if has(i, "pm") { return (l[0..<i], .lowerPM, l[(i + 2)...]) }
            case UInt8(ascii: "-"):
                for z in ["-070000", "-07:00:00", "-0700", "-07:00", "-07"] where has(i, z) {
                    return (l[0..<i], .num(z), l[(i + z.utf8.count)...])
                }
            case UInt8(ascii: "Z"):
                for z in ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"] where has(i, z) {
                    return (l[0..<i], .iso8601(z), l[(i + z.utf8.count)...])
                }
            case UInt8(ascii: "."), UInt8(ascii: ","):
                if i + 1 < l.count, l[i + 1] == UInt8(ascii: "0") || l[i + 1] == UInt8(ascii: "9") {
                    let ch = l[i + 1]
                    var j = i + 1
                    while j < l.count && l[j] == ch { j += 1 }
                    if !(j < l.count && l[j] >= 0x30 && l[j] <= 0x39) {
                        let n = j - (i + 1)
                        return (l[0..<i], ch == UInt8(ascii: "0") ? .frac0(n, l[i]) : .frac9(n, l[i]), l[j...])
                    }
                }
            default: break
            }
            i += 1
        }
        return (l[...], .none, [])
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        var s = String(abs(v))
        while s.count < width { s = "0" + s }
        return v < 0 ? "-" + s : s
    }

    /// `time.Time.Format(layout)` for a UTC time.
    static func format(_ t: TemplateTime, _ layout: String) -> String {
        let c = civil(t)
        var out = ""
        var rest = Array(layout.utf8)
        while !rest.isEmpty {
            let (prefix, std, suffix) = nextStdChunk(rest)
            out += String(decoding: prefix, as: UTF8.self)
            if case .none = std { break }
            rest = Array(suffix)
            switch std {
            case .none: break
            case .year: out += pad(Int64(abs(c.year % 100)), 2)
            case .longYear: out += pad(c.year, 4)
            case .month: out += String(longMonths[c.month - 1].prefix(3))
            case .longMonth: out += longMonths[c.month - 1]
            case .numMonth: out += String(c.month)
            case .zeroMonth: out += pad(Int64(c.month), 2)
            case .weekDay: out += String(longDays[c.weekday].prefix(3))
            case .longWeekDay: out += longDays[c.weekday]
            case .day: out += String(c.day)
            case .underDay: out += (c.day < 10 ? " " : "") + String(c.day)
            case .zeroDay: out += pad(Int64(c.day), 2)
            case .underYearDay: out += String(repeating: " ", count: c.yearDay < 10 ? 2 : (c.yearDay < 100 ? 1 : 0)) + String(c.yearDay)
            case .zeroYearDay: out += pad(Int64(c.yearDay), 3)
            case .hour: out += pad(Int64(c.hour), 2)
            case .hour12: out += String(c.hour % 12 == 0 ? 12 : c.hour % 12)
            case .zeroHour12: out += pad(Int64(c.hour % 12 == 0 ? 12 : c.hour % 12), 2)
            case .minute: out += String(c.minute)
            case .zeroMinute: out += pad(Int64(c.minute), 2)
            case .second: out += String(c.second)
            case .zeroSecond: out += pad(Int64(c.second), 2)
            case .pm: out += c.hour >= 12 ? "PM" : "AM"
            case .lowerPM: out += c.hour >= 12 ? "pm" : "am"
            case .tz: out += "UTC"
            case .iso8601: out += "Z"
            case .num(let z):
                switch z {
                case "-070000": out += "+000000"
                case "-07:00:00": out += "+00:00:00"
                case "-0700": out += "+0000"
                case "-07:00": out += "+00:00"
                default: out += "+00"
                }
            case .frac0(let n, let sep):
                out += String(UnicodeScalar(sep)) + fraction(c.nanosecond, n, trim: false)
            case .frac9(let n, let sep):
                let f = fraction(c.nanosecond, n, trim: true)
                if !f.isEmpty { out += String(UnicodeScalar(sep)) + f }
            }
        }
        return out
    }

    private static func fraction(_ nanos: Int, _ n: Int, trim: Bool) -> String {
        var digits = Array(pad(Int64(nanos), 9))
        if n < 9 { digits = Array(digits[0..<n]) }
        if trim { while let l = digits.last, l == "0" { digits.removeLast() } }
        return String(digits)
    }

    // MARK: arithmetic

    static func add(_ t: TemplateTime, _ d: Int64) -> TemplateTime {
        var sec = t.seconds &+ d / nanosPerSecond
        var nsec = Int64(t.nanoseconds) + d % nanosPerSecond
        if nsec >= nanosPerSecond {
            sec &+= 1
            nsec -= nanosPerSecond
        } else if nsec < 0 {
            sec &-= 1
            nsec += nanosPerSecond
        }
        return TemplateTime(seconds: sec, nanoseconds: Int32(nsec))
    }

    /// `t.Sub(u)`, saturating like Go's.
    static func sub(_ t: TemplateTime, _ u: TemplateTime) -> Int64 {
        let ns = (Int128(t.seconds) - Int128(u.seconds)) * Int128(nanosPerSecond) + Int128(t.nanoseconds) - Int128(u.nanoseconds)
        if ns > Int128(Int64.max) { return Int64.max }
        if ns < Int128(Int64.min) { return Int64.min }
        return Int64(ns)
    }

    static func compare(_ t: TemplateTime, _ u: TemplateTime) -> Int {
        if t.seconds != u.seconds { return t.seconds < u.seconds ? -1 : 1 }
        if t.nanoseconds != u.nanoseconds { return t.nanoseconds < u.nanoseconds ? -1 : 1 }
        return 0
    }

    /// Seconds from Go's zero time (January 1, year 1) to the Unix epoch.
    static let unixToAbsolute: Int64 = 62_135_596_800

    /// `t.Truncate(d)` / `t.Round(d)`: Go measures from the zero time, not from 1970.
    static func truncate(_ t: TemplateTime, _ d: Int64, round: Bool) -> TemplateTime {
        if d <= 0 { return TemplateTime(seconds: t.seconds, nanoseconds: t.nanoseconds) }
        let abs = (Int128(t.seconds) + Int128(unixToAbsolute)) * Int128(nanosPerSecond) + Int128(t.nanoseconds)
        var r = abs % Int128(d)
        if r < 0 { r += Int128(d) }
        var delta = -r
        if round && r + r >= Int128(d) { delta = Int128(d) - r }
        let total = abs + delta - Int128(unixToAbsolute) * Int128(nanosPerSecond)
        var sec = total / Int128(nanosPerSecond)
        var nsec = total % Int128(nanosPerSecond)
        if nsec < 0 {
            nsec += Int128(nanosPerSecond)
            sec -= 1
        }
        return TemplateTime(seconds: Int64(clamping: sec), nanoseconds: Int32(nsec))
    }

    // MARK: Duration

    /// `time.Duration.String()`: "30m0s", "1.5s", "100ms", "0s".
    static func durationString(_ d: Int64) -> String {
        var u = UInt64(bitPattern: d)
        let neg = d < 0
        if neg { u = 0 &- u }
        var buf = [UInt8](repeating: 0, count: 32)
        var w = buf.count
        if u < UInt64(nanosPerSecond) {
            var prec = 0
            w -= 1
            buf[w] = UInt8(ascii: "s")
            w -= 1
            if u == 0 {
                buf[w] = UInt8(ascii: "0")
                return String(decoding: buf[w...], as: UTF8.self)
            } else if u < 1000 {
                prec = 0
                buf[w] = UInt8(ascii: "n")
            } else if u < 1_000_000 {
                prec = 3
                w -= 1
                buf[w] = 0xC2
                buf[w + 1] = 0xB5
            } else {
                prec = 6
                buf[w] = UInt8(ascii: "m")
            }
            (w, u) = fmtFrac(&buf, w, u, prec)
            w = fmtInt(&buf, w, u)
        } else {
            w -= 1
            buf[w] = UInt8(ascii: "s")
            (w, u) = fmtFrac(&buf, w, u, 9)
            w = fmtInt(&buf, w, u % 60)
            u /= 60
            if u > 0 {
                w -= 1
                buf[w] = UInt8(ascii: "m")
                w = fmtInt(&buf, w, u % 60)
                u /= 60
                if u > 0 {
                    w -= 1
                    buf[w] = UInt8(ascii: "h")
                    w = fmtInt(&buf, w, u)
                }
            }
        }
        if neg {
            w -= 1
            buf[w] = UInt8(ascii: "-")
        }
        return String(decoding: buf[w...], as: UTF8.self)
    }

    private static func fmtFrac(_ buf: inout [UInt8], _ w0: Int, _ v0: UInt64, _ prec: Int) -> (Int, UInt64) {
        var w = w0, v = v0
        var printed = false
        for _ in 0..<prec {
            let digit = v % 10
            printed = printed || digit != 0
            if printed {
                w -= 1
                buf[w] = UInt8(digit) + UInt8(ascii: "0")
            }
            v /= 10
        }
        if printed {
            w -= 1
            buf[w] = UInt8(ascii: ".")
        }
        return (w, v)
    }

    private static func fmtInt(_ buf: inout [UInt8], _ w0: Int, _ v0: UInt64) -> Int {
        var w = w0, v = v0
        if v == 0 {
            w -= 1
            buf[w] = UInt8(ascii: "0")
        } else {
            while v > 0 {
                w -= 1
                buf[w] = UInt8(v % 10) + UInt8(ascii: "0")
                v /= 10
            }
        }
        return w
    }

    /// Go's float64 → int64 conversion as amd64 does it: out of range and NaN give MinInt64.
    static func int64(_ f: Double) -> Int64 {
        if f.isNaN || f >= 9_223_372_036_854_775_808.0 || f < -9_223_372_036_854_775_808.0 { return Int64.min }
        return Int64(f)
    }
}
