import Foundation

/// Milliseconds since the Unix epoch, now.
public func currentTimeMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Parse errors for durations and timestamps, worded like Prometheus's.
public struct TimeParseError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Durations in Prometheus syntax (`model.ParseDuration`): unit groups in the fixed order
/// y w d h m s ms, each at most once, e.g. `1h30m`, `2d`, `500ms`; `0` alone is allowed.
/// Returns milliseconds.
public func parseDuration(_ text: String) throws -> Int64 {
    if text == "0" { return 0 }
    let units: [(String, Int64)] = [
        ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]
    let u = Array(text.utf8)
    var i = 0
    var nextUnit = 0
    var total: Int64 = 0
    if u.isEmpty { throw TimeParseError(description: "empty duration string") }
    while i < u.count {
        var n: Int64 = 0
        let start = i
        while i < u.count, u[i] >= 48, u[i] <= 57 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(u[i] - 48))
            if o1 || o2 { throw TimeParseError(description: "duration out of range") }
            n = a
            i += 1
        }
        if i == start { throw TimeParseError(description: "not a valid duration string: \"\(text)\"") }
        var j = i
        while j < u.count, !(u[j] >= 48 && u[j] <= 57) { j += 1 }
        let unit = String(decoding: u[i..<j], as: UTF8.self)
        guard let k = units.firstIndex(where: { $0.0 == unit }), k >= nextUnit else {
            throw TimeParseError(description: "not a valid duration string: \"\(text)\"")
        }
        let (m, o) = n.multipliedReportingOverflow(by: units[k].1)
        if o { throw TimeParseError(description: "duration out of range") }
        let (t, o2) = total.addingReportingOverflow(m)
        if o2 { throw TimeParseError(description: "duration out of range") }
        total = t
        nextUnit = k + 1
        i = j
    }
    return total
}

/// Formats milliseconds the way Prometheus prints a `model.Duration` (`1h30m`, `0s`).
public func formatDuration(_ ms: Int64) -> String {
    if ms == 0 { return "0s" }
    var out = ""
    var r = ms
    if r < 0 { out = "-"; r = -r }
    let units: [(String, Int64)] = [
        ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]
    for (name, size) in units where r >= size {
        out += "\(r / size)\(name)"
        r %= size
    }
    return out
}

/// Timestamps as the Prometheus HTTP API accepts them: float Unix seconds or RFC3339
/// (with optional fractional seconds). Returns milliseconds.
public func parseTimestamp(_ text: String) throws -> Int64 {
    if let secs = Double(text), secs.isFinite {
        let ms = (secs * 1000).rounded()
        guard abs(ms) < 9.2e18 else { throw TimeParseError(description: "cannot parse \"\(text)\" to a valid timestamp") }
        return Int64(ms)
    }
    if let ms = parseRFC3339(text) { return ms }
    throw TimeParseError(description: "cannot parse \"\(text)\" to a valid timestamp")
}

/// RFC3339 with optional fraction and `Z` or `±hh:mm` offset → milliseconds.
public func parseRFC3339(_ text: String) -> Int64? {
    let u = Array(text.utf8)
    func num(_ a: Int, _ n: Int) -> Int? {
        guard a + n <= u.count else { return nil }
        var v = 0
        for k in a..<(a + n) {
            guard u[k] >= 48, u[k] <= 57 else { return nil }
            v = v * 10 + Int(u[k] - 48)
        }
        return v
    }
    guard u.count >= 20, let y = num(0, 4), u[4] == 45, let mo = num(5, 2), u[7] == 45, let d = num(8, 2),
          u[10] == 84 || u[10] == 116 || u[10] == 32, let h = num(11, 2), u[13] == 58, let mi = num(14, 2), u[16] == 58,
          let s = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
    else { return nil }
    var i = 19
    var fracMs = 0
    if i < u.count, u[i] == 46 {
        i += 1
        var digits = 0
        var frac = 0
        while i < u.count, u[i] >= 48, u[i] <= 57 {
            if digits < 3 { frac = frac * 10 + Int(u[i] - 48) }
            digits += 1
            i += 1
        }
        if digits == 0 { return nil }
        for _ in digits..<3 where digits < 3 { frac *= 10 }
        fracMs = frac
    }
    var offset = 0
    guard i < u.count else { return nil }
    if u[i] == 90 || u[i] == 122 {
        i += 1
    } else if u[i] == 43 || u[i] == 45 {
        guard let oh = num(i + 1, 2), u.count > i + 3, u[i + 3] == 58, let om = num(i + 4, 2) else { return nil }
        offset = (oh * 60 + om) * 60 * (u[i] == 43 ? 1 : -1)
        i += 6
    } else { return nil }
    guard i == u.count else { return nil }
    let days = daysFromCivil(y, mo, d)
    let secs = Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
    return secs * 1000 + Int64(fracMs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
public func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
}

/// (year, month, day) of a day count since the epoch.
public func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
    let z = z0 + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}

/// RFC3339 in UTC with milliseconds when non-zero: `2024-01-02T03:04:05.678Z`.
public func formatRFC3339(_ ms: Int64) -> String {
    let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    let frac = Int(ms - secs * 1000)
    let days = Int(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400)
    let rem = Int(secs - Int64(days) * 86400)
    let (y, mo, d) = civilFromDays(days)
    func p2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var s = "\(y)-\(p2(mo))-\(p2(d))T\(p2(rem / 3600)):\(p2(rem / 60 % 60)):\(p2(rem % 60))"
    if frac != 0 {
        let f = String(frac + 1000).dropFirst()
        var t = String(f)
        while t.hasSuffix("0") { t.removeLast() }
        s += "." + t
    }
    return s + "Z"
}

extension Duration {
    /// Whole nanoseconds, as metrics timers and NIO time amounts take them.
    public var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
