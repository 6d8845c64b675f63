/// Methods of the Go types templates receive (`(now | toTime).Format "2006"`,
/// `(1800 | toDuration).String`): text/template calls a method before it looks for a field.
enum Methods {
    static func lookup(_ v: TemplateValue, _ name: String) -> GoFunc? {
        switch v {
        case .time(let t): return timeMethod(t, name)
        case .duration(let d): return durationMethod(d.nanoseconds, name)
        default: return nil
        }
    }

    private static func time(_ a: GoVal) -> TemplateTime {
        if case .concrete(.time(let t)) = a { return t }
        return TemplateTime(seconds: 0, nanoseconds: 0)
    }

    private static func duration(_ a: GoVal) -> Int64 {
        if case .concrete(.duration(let d)) = a { return d.nanoseconds }
        return 0
    }

    private static func value(_ t: TemplateTime) -> GoVal { .concrete(.time(TemplateTime(seconds: t.seconds, nanoseconds: t.nanoseconds))) }
    private static func int(_ i: Int64) -> GoVal { .concrete(.int(i)) }

    private static func timeMethod(_ t: TemplateTime, _ name: String) -> GoFunc? {
        switch name {
        case "Format":
            return GoFunc([.string]) { _, a in
                guard case .concrete(.string(let layout)) = a[0] else { return .invalid }
                return .concrete(.string(GoTime.format(t, layout)))
            }
        case "String": return GoFunc([]) { _, _ in .concrete(.string(GoTime.string(t))) }
        case "Add": return GoFunc([.duration]) { _, a in value(GoTime.add(t, duration(a[0]))) }
        case "Sub": return GoFunc([.time]) { _, a in .concrete(.duration(TemplateDuration(nanoseconds: GoTime.sub(t, time(a[0]))))) }
        case "After": return GoFunc([.time]) { _, a in .concrete(.bool(GoTime.compare(t, time(a[0])) > 0)) }
        case "Before": return GoFunc([.time]) { _, a in .concrete(.bool(GoTime.compare(t, time(a[0])) < 0)) }
        case "Equal": return GoFunc([.time]) { _, a in .concrete(.bool(GoTime.compare(t, time(a[0])) == 0)) }
        case "Compare": return GoFunc([.time]) { _, a in int(Int64(GoTime.compare(t, time(a[0])))) }
        case "Unix": return GoFunc([]) { _, _ in int(t.seconds) }
        case "UnixMilli": return GoFunc([]) { _, _ in int(t.seconds &* 1000 &+ Int64(t.nanoseconds) / 1_000_000) }
        case "UnixMicro": return GoFunc([]) { _, _ in int(t.seconds &* 1_000_000 &+ Int64(t.nanoseconds) / 1000) }
        case "UnixNano": return GoFunc([]) { _, _ in int(t.seconds &* 1_000_000_000 &+ Int64(t.nanoseconds)) }
        case "UTC", "Local": return GoFunc([]) { _, _ in value(t) }
        case "Year": return GoFunc([]) { _, _ in int(GoTime.civil(t).year) }
        case "Day": return GoFunc([]) { _, _ in int(Int64(GoTime.civil(t).day)) }
        case "Hour": return GoFunc([]) { _, _ in int(Int64(GoTime.civil(t).hour)) }
        case "Minute": return GoFunc([]) { _, _ in int(Int64(GoTime.civil(t).minute)) }
        case "Second": return GoFunc([]) { _, _ in int(Int64(GoTime.civil(t).second)) }
        case "Nanosecond": return GoFunc([]) { _, _ in int(Int64(t.nanoseconds)) }
        case "YearDay": return GoFunc([]) { _, _ in int(Int64(GoTime.civil(t).yearDay)) }
        case "IsZero":
            return GoFunc([]) { _, _ in .concrete(.bool(t.seconds == -GoTime.unixToAbsolute && t.nanoseconds == 0)) }
        case "Truncate": return GoFunc([.duration]) { _, a in value(GoTime.truncate(t, duration(a[0]), round: false)) }
        case "Round": return GoFunc([.duration]) { _, a in value(GoTime.truncate(t, duration(a[0]), round: true)) }
        default: return nil
        }
    }

    private static func durationValue(_ d: Int64) -> GoVal { .concrete(.duration(TemplateDuration(nanoseconds: d))) }

    private static func durationMethod(_ d: Int64, _ name: String) -> GoFunc? {
        switch name {
        case "String": return GoFunc([]) { _, _ in .concrete(.string(GoTime.durationString(d))) }
        case "Seconds":
            return GoFunc([]) { _, _ in .concrete(.float(Double(d / 1_000_000_000) + Double(d % 1_000_000_000) / 1e9)) }
        case "Minutes":
            return GoFunc([]) { _, _ in .concrete(.float(Double(d / 60_000_000_000) + Double(d % 60_000_000_000) / 6e10)) }
        case "Hours":
            return GoFunc([]) { _, _ in .concrete(.float(Double(d / 3_600_000_000_000) + Double(d % 3_600_000_000_000) / 3.6e12)) }
        case "Milliseconds": return GoFunc([]) { _, _ in int(d / 1_000_000) }
        case "Microseconds": return GoFunc([]) { _, _ in int(d / 1000) }
        case "Nanoseconds": return GoFunc([]) { _, _ in int(d) }
        case "Abs":
            return GoFunc([]) { _, _ in durationValue(d >= 0 ? d : (d == Int64.min ? Int64.max : -d)) }
        case "Truncate":
            return GoFunc([.duration]) { _, a in
                let m = duration(a[0])
                return durationValue(m <= 0 ? d : d - d % m)
            }
        case "Round":
            return GoFunc([.duration]) { _, a in durationValue(roundDuration(d, duration(a[0]))) }
        default: return nil
        }
    }

    private static func roundDuration(_ d: Int64, _ m: Int64) -> Int64 {
        if m <= 0 { return d }
        var r = d % m
        func lessThanHalf(_ x: Int64, _ y: Int64) -> Bool { UInt64(bitPattern: x) &+ UInt64(bitPattern: x) < UInt64(bitPattern: y) }
        if d < 0 {
            r = -r
            if lessThanHalf(r, m) { return d + r }
            let d1 = d &- m &+ r
            return d1 < d ? d1 : Int64.min
        }
        if lessThanHalf(r, m) { return d - r }
        let d1 = d &+ m &- r
        return d1 > d ? d1 : Int64.max
    }
}
