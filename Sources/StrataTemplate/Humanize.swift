/// Prometheus's humanize family (template.go and prometheus/common's helpers/templates),
/// kept to their exact arithmetic: repeated division by 1000 (not log10), `%.4g`, and
/// timestamps truncated to milliseconds before printing.
enum Humanize {
    private static func f(_ format: String, _ args: [TemplateValue], _ limit: Int) throws -> String {
        try GoFmt.sprintf(format, args, limit: limit)
    }

    static func humanize(_ v0: Double, _ limit: Int) throws -> String {
        var v = v0
        if v == 0 || v.isNaN || v.isInfinite { return try f("%.4g", [.float(v)], limit) }
        if abs(v) >= 1 {
            var prefix = ""
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = p
                v /= 1000
            }
            return try f("%.4g%s", [.float(v), .string(prefix)], limit)
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return try f("%.4g%s", [.float(v), .string(prefix)], limit)
    }

    static func humanize1024(_ v0: Double, _ limit: Int) throws -> String {
        var v = v0
        if abs(v) <= 1 || v.isNaN || v.isInfinite { return try f("%.4g", [.float(v)], limit) }
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = p
            v /= 1024
        }
        return try f("%.4g%s", [.float(v), .string(prefix)], limit)
    }

    static func duration(_ v0: Double, _ limit: Int) throws -> String {
        var v = v0
        if v.isNaN || v.isInfinite { return try f("%.4g", [.float(v)], limit) }
        if v == 0 { return try f("%.4gs", [.float(v)], limit) }
        if abs(v) >= 1 {
            var sign = ""
            if v < 0 {
                sign = "-"
                v = -v
            }
            let d = GoTime.int64(v)
            let seconds = d % 60
            let minutes = (d / 60) % 60
            let hours = (d / 60 / 60) % 24
            let days = d / 60 / 60 / 24
            if days != 0 {
                return try f("%s%dd %dh %dm %ds", [.string(sign), .int(days), .int(hours), .int(minutes), .int(seconds)], limit)
            }
            if hours != 0 {
                return try f("%s%dh %dm %ds", [.string(sign), .int(hours), .int(minutes), .int(seconds)], limit)
            }
            if minutes != 0 {
                return try f("%s%dm %ds", [.string(sign), .int(minutes), .int(seconds)], limit)
            }
            return try f("%s%.4gs", [.string(sign), .float(v)], limit)
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return try f("%.4g%ss", [.float(v), .string(prefix)], limit)
    }

    /// Prometheus's `floatToTime`: seconds to a UTC time, through nanoseconds and then
    /// milliseconds (`model.TimeFromUnixNano`), so sub-millisecond digits are dropped.
    static func floatToTime(_ v: Double, _ limit: Int) throws -> TemplateTime {
        let ns = v * 1e9
        if ns > 9_223_372_036_854_775_807.0 || ns < -9_223_372_036_854_775_808.0 {
            throw FuncError(try f("%v cannot be represented as a nanoseconds timestamp since it overflows int64", [.float(v)], limit))
        }
        let ms = GoTime.int64(ns) / 1_000_000
        var sec = ms / 1000
        var nsec = (ms % 1000) * 1_000_000
        if nsec < 0 {
            nsec += 1_000_000_000
            sec -= 1
        }
        return TemplateTime(seconds: sec, nanoseconds: Int32(nsec))
    }

    static func timestamp(_ v: Double, _ limit: Int) throws -> String {
        if v.isNaN || v.isInfinite { return try f("%.4g", [.float(v)], limit) }
        return GoTime.string(try floatToTime(v, limit))
    }
}
