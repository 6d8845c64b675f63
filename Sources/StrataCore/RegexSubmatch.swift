import CRE2

/// An RE2 regex that reports submatches, for callers that must behave like Go's
/// `regexp.ReplaceAllString` / `MatchString` (Prometheus's template functions): the match
/// iteration, the empty-match rules and the `$1` / `${name}` expansion are Go's.
/// Immutable after construction and safe to share across tasks.
public final class RE2SubmatchRegex: @unchecked Sendable {
    private let handle: OpaquePointer
    public let pattern: String
    /// Number of capturing groups (group 0, the whole match, not counted).
    public let groupCount: Int
    /// Group names by index; "" for unnamed groups and for index 0.
    public let groupNames: [String]

    public init(_ pattern: String) throws {
        var err = [CChar](repeating: 0, count: 256)
        var p = pattern
        let h: OpaquePointer? = p.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { strata_re2_capture_new($0.baseAddress, $0.count, &err, err.count) }
        }
        guard let h else {
            let msg = err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw RE2Regex.CompileError(pattern: pattern, message: msg)
        }
        handle = h
        self.pattern = pattern
        groupCount = Int(strata_re2_capture_groups(h))
        var names = [""]
        for i in stride(from: 1, through: groupCount, by: 1) {
            if let c = strata_re2_capture_group_name(h, Int32(i)) { names.append(String(cString: c)) } else { names.append("") }
        }
        groupNames = names
    }

    deinit { strata_re2_capture_free(handle) }

    /// Byte offsets (start, end) of the whole match and of each group, -1 for a group that
    /// did not take part; the search starts at `start` but sees the bytes before it.
    public func firstMatch(in text: [UInt8], from start: Int = 0) -> [Int]? {
        var offsets = [Int](repeating: -1, count: 2 * (groupCount + 1))
        let ok: Int32 = text.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { c in
                offsets.withUnsafeMutableBufferPointer { o in
                    strata_re2_capture_match_from(handle, c.baseAddress, c.count, start, o.baseAddress, Int32(o.count))
                }
            }
        }
        return ok == 1 ? offsets : nil
    }

    /// Go's `Regexp.MatchString`: true when the pattern matches anywhere.
    public func matches(_ s: String) -> Bool { firstMatch(in: Array(s.utf8)) != nil }

    /// Go's `Regexp.ReplaceAllString`: every non-overlapping match replaced by `template`
    /// with `$n`, `${n}`, `$name`, `${name}` and `$$` expanded; an empty match right after
    /// a previous match is not replaced.
    public func replaceAll(_ src: String, template: String) -> String {
        let s = Array(src.utf8)
        let t = Array(template.utf8)
        var out: [UInt8] = []
        var lastMatchEnd = 0
        var searchPos = 0
        while searchPos <= s.count {
            guard let m = firstMatch(in: s, from: searchPos) else { break }
            out.append(contentsOf: s[lastMatchEnd..<m[0]])
            if m[1] > lastMatchEnd || m[0] == 0 {
                expand(t, s, m, into: &out)
            }
            lastMatchEnd = m[1]
            let width = searchPos < s.count ? utf8Width(s, searchPos) : 0
            if searchPos + width > m[1] {
                searchPos += width
            } else if searchPos + 1 > m[1] {
                searchPos += 1
            } else {
                searchPos = m[1]
            }
        }
        out.append(contentsOf: s[lastMatchEnd...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `Regexp.Expand` of one match.
    public func expand(_ t: [UInt8], _ s: [UInt8], _ match: [Int], into out: inout [UInt8]) {
        var i = 0
        while i < t.count {
            guard let dollar = t[i...].firstIndex(of: 0x24) else {
                out.append(contentsOf: t[i...])
                return
            }
            out.append(contentsOf: t[i..<dollar])
            i = dollar + 1
            if i < t.count, t[i] == 0x24 {
                out.append(0x24)
                i += 1
                continue
            }
            guard let (name, num, rest) = Self.extractName(t, i) else {
                out.append(0x24)
                continue
            }
            i = rest
            var group = -1
            if num >= 0 {
                group = num
            } else if let g = groupNames.firstIndex(of: name) {
                group = g
            }
            if group >= 0, 2 * group + 1 < match.count, match[2 * group] >= 0 {
                out.append(contentsOf: s[match[2 * group]..<match[2 * group + 1]])
            }
        }
    }

    /// Go's `extract`: a name of letters, digits and `_`, optionally in braces; a number
    /// when all digits without a leading zero.
    static func extractName(_ t: [UInt8], _ start: Int) -> (String, Int, Int)? {
        var j = start
        guard j < t.count else { return nil }
        var brace = false
        if t[j] == 0x7B {
            brace = true
            j += 1
        }
        let nameStart = j
        while j < t.count {
            let (r, w) = decodeUTF8(t, j)
            guard r == 0x5F || isGoLetterOrDigit(r) else { break }
            j += w
        }
        if j == nameStart { return nil }
        let nameBytes = Array(t[nameStart..<j])
        if brace {
            if j >= t.count || t[j] != 0x7D { return nil }
            j += 1
        }
        var num = 0
        for c in nameBytes {
            if c < 0x30 || c > 0x39 || num >= 100_000_000 {
                num = -1
                break
            }
            num = num * 10 + Int(c - 0x30)
        }
        if nameBytes[0] == 0x30 && nameBytes.count > 1 { num = -1 }
        return (String(decoding: nameBytes, as: UTF8.self), num, j)
    }
}

extension RE2Regex.CompileError {
    /// The text Go's regexp package gives for the same bad pattern
    /// (`error parsing regexp: missing closing ): `(``).
    public var goDescription: String {
        let table: [(String, String)] = [
            ("missing ): ", "missing closing )"),
            ("missing ]: ", "missing closing ]"),
            ("unexpected ): ", "unexpected )"),
            ("invalid escape sequence: ", "invalid escape sequence"),
            ("invalid character class range: ", "invalid character class range"),
            ("invalid character class: ", "invalid character class"),
            ("missing argument to repetition operator: ", "missing argument to repetition operator"),
            ("bad repetition operator: ", "invalid nested repetition operator"),
            ("bad repetition count: ", "invalid repeat count"),
            ("invalid repetition size: ", "invalid repeat count"),
            ("invalid named capture group: ", "invalid named capture"),
            ("invalid perl operator: ", "invalid or unsupported Perl syntax"),
            ("trailing \\: ", "trailing backslash at end of expression"),
            ("invalid UTF-8: ", "invalid UTF-8"),
        ]
        for (prefix, goText) in table where message.hasPrefix(prefix) {
            return "error parsing regexp: \(goText): `\(message.dropFirst(prefix.count))`"
        }
        return description
    }
}

private func utf8Width(_ s: [UInt8], _ i: Int) -> Int { decodeUTF8(s, i).1 }

/// One rune of UTF-8 at `i` the way Go decodes it: invalid bytes are U+FFFD of width 1.
func decodeUTF8(_ s: [UInt8], _ i: Int) -> (UInt32, Int) {
    let b0 = s[i]
    if b0 < 0x80 { return (UInt32(b0), 1) }
    func cont(_ k: Int) -> UInt32? {
        guard i + k < s.count, s[i + k] & 0xC0 == 0x80 else { return nil }
        return UInt32(s[i + k] & 0x3F)
    }
    if b0 >= 0xC2 && b0 <= 0xDF, let c1 = cont(1) {
        return ((UInt32(b0 & 0x1F) << 6) | c1, 2)
    }
    if b0 >= 0xE0 && b0 <= 0xEF, let c1 = cont(1), let c2 = cont(2) {
        let r = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
        if r >= 0x800 && !(r >= 0xD800 && r <= 0xDFFF) { return (r, 3) }
    }
    if b0 >= 0xF0 && b0 <= 0xF4, let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) {
        let r = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
        if r >= 0x10000 && r <= 0x10FFFF { return (r, 4) }
    }
    return (0xFFFD, 1)
}

/// Go's `unicode.IsLetter(r) || unicode.IsDigit(r)`.
func isGoLetterOrDigit(_ r: UInt32) -> Bool {
    guard let u = Unicode.Scalar(r) else { return false }
    switch u.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
        return true
    default:
        return false
    }
}
