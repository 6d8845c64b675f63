/// Prometheus 3's "value encoding" escaping of UTF-8 metric and label names for places that
/// only take legacy names, e.g. the URL path of `/api/v1/label/<name>/values`: `U__` prefix,
/// `_` written as `__`, any other character outside `[a-zA-Z0-9_]` as `_<hex code point>_`.
public enum NameEscaping {
    /// The name an escaped form stands for; anything that is not a well-formed escape
    /// (no `U__` prefix, a dangling `_`, a bad or over-long code point) is returned as given,
    /// as Prometheus's `model.UnescapeName` does.
    public static func unescape(_ name: String) -> String {
        guard name.hasPrefix("U__") else { return name }
        let b = Array(name.utf8.dropFirst(3))
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            if b[i] != UInt8(ascii: "_") {
                // Bytes outside ASCII are copied through as part of their UTF-8 sequence.
                var j = i + 1
                while j < b.count && b[j] & 0xC0 == 0x80 { j += 1 }
                guard let s = String(validating: b[i..<j], as: UTF8.self) else { return name }
                out.append(contentsOf: s.unicodeScalars)
                i = j
                continue
            }
            i += 1
            guard i < b.count else { return name }
            if b[i] == UInt8(ascii: "_") {
                out.append("_")
                i += 1
                continue
            }
            var value: UInt32 = 0
            var digits = 0
            while true {
                // At most five hex digits before the closing `_`, exactly as Go's loop allows.
                guard i < b.count, digits < 6 else { return name }
                if b[i] == UInt8(ascii: "_") {
                    guard digits > 0, let scalar = Unicode.Scalar(value) else { return name }
                    out.append(scalar)
                    i += 1
                    break
                }
                guard let d = hexDigit(b[i]) else { return name }
                value = value * 16 + d
                digits += 1
                i += 1
            }
        }
        return String(out)
    }

    /// Prometheus's `UnderscoreEscaping` (`model.EscapeName`), the exposition formats' default
    /// for a scraper that did not ask for `escaping=allow-utf-8`: a name that is not a valid
    /// legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) has each offending character, and a
    /// leading digit, replaced by `_`.
    public static func underscores(_ name: String) -> String {
        if isLegacyMetricName(name) { return name }
        var out = ""
        for (i, c) in name.unicodeScalars.enumerated() {
            out.unicodeScalars.append(isLegacyRune(c, first: i == 0) ? c : "_")
        }
        return out
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` (Prometheus's legacy metric name; label names are the same
    /// without `:`, which the exposition escaping does not distinguish).
    public static func isLegacyMetricName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.enumerated().allSatisfy { isLegacyRune($1, first: $0 == 0) }
    }

    static func isLegacyRune(_ c: Unicode.Scalar, first: Bool) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "_", ":": true
        case "0"..."9": !first
        default: false
        }
    }

    static func hexDigit(_ c: UInt8) -> UInt32? {
        switch c | 0x20 {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32((c | 0x20) - UInt8(ascii: "a") + 10)
        default: nil
        }
    }
}
