/// Case mapping as Prometheus gets it from Go: `toUpper`/`toLower` are strings.ToUpper/
/// ToLower (one rune to one rune, so "ß" stays "ß"), `title` is x/text's
/// cases.Title(AmericanEnglish, NoLower): the first cased letter of each word is
/// title-cased and the rest is left alone.
enum TextCase {
    static func upper(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars { out.append(simpleMap(u, upper: true)) }
        return String(out)
    }

    static func lower(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars { out.append(simpleMap(u, upper: false)) }
        return String(out)
    }

    /// Unicode's simple (one-to-one) mapping, which Go uses; Swift exposes the full one, so
    /// a mapping that expands is replaced by the simple mapping where one exists.
    private static func simpleMap(_ u: Unicode.Scalar, upper: Bool) -> Unicode.Scalar {
        if u.value < 0x80 {
            if upper && u.value >= 0x61 && u.value <= 0x7A { return Unicode.Scalar(u.value - 32)! }
            if !upper && u.value >= 0x41 && u.value <= 0x5A { return Unicode.Scalar(u.value + 32)! }
            return u
        }
        if !upper && u.value == 0x130 { return "i" }
        let full = upper ? u.properties.uppercaseMapping : u.properties.lowercaseMapping
        let scalars = Array(full.unicodeScalars)
        if scalars.count == 1 { return scalars[0] }
        if upper {
            let title = Array(u.properties.titlecaseMapping.unicodeScalars)
            if title.count == 1 { return title[0] }
        }
        return u
    }

    private static func isMid(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
            return true
        default:
            return false
        }
    }

    private static func isBreak(_ u: Unicode.Scalar) -> Bool {
        if isMid(u) { return false }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .format:
            return false
        default:
            return true
        }
    }

    static func title(_ s: String) -> String {
        var out = ""
        var midWord = false
        let scalars = Array(s.unicodeScalars)
        for (i, u) in scalars.enumerated() {
            if u.properties.isCased {
                if !midWord {
                    out += u.properties.titlecaseMapping
                    midWord = true
                } else {
                    out.unicodeScalars.append(u)
                }
            } else {
                out.unicodeScalars.append(u)
                if isBreak(u) { midWord = false }
            }
            if isMid(u), i + 1 < scalars.count, isMid(scalars[i + 1]) { midWord = false }
        }
        return out
    }
}
