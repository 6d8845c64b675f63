import CRE2

/// An RE2 regex with capture groups and Go's `Regexp.Expand` template semantics, for
/// `label_replace`. Immutable after construction.
final class CaptureRegex: @unchecked Sendable {
    private let handle: OpaquePointer
    let groups: Int
    /// Group names by index; "" for unnamed groups and for index 0.
    let names: [String]

    struct CompileError: Error { let message: String }

    init(_ pattern: String) throws {
        var err = [CChar](repeating: 0, count: 256)
        var p = pattern
        let h: OpaquePointer? = p.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { strata_re2_capture_new($0.baseAddress, $0.count, &err, err.count) }
        }
        guard let h else {
            throw CompileError(message: err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        handle = h
        groups = Int(strata_re2_capture_groups(h))
        var names = [""]
        for i in stride(from: 1, through: groups, by: 1) {
            if let c = strata_re2_capture_group_name(h, Int32(i)) { names.append(String(cString: c)) } else { names.append("") }
        }
        self.names = names
    }

    deinit { strata_re2_capture_free(handle) }

    /// Byte offsets of the whole match and each group (-1 when a group did not take part).
    func match(_ s: String) -> [Int]? {
        var offsets = [Int](repeating: -1, count: 2 * (groups + 1))
        var s = s
        let ok: Int32 = s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { c in
                offsets.withUnsafeMutableBufferPointer { o in
                    strata_re2_capture_match(handle, c.baseAddress, c.count, o.baseAddress, Int32(o.count))
                }
            }
        }
        return ok == 1 ? offsets : nil
    }

    /// Go's Regexp.ExpandString: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown or
    /// non-participating groups expand to ""; a malformed `$` is kept literally.
    func expand(_ template: String, _ src: String, _ match: [Int]) -> String {
        let t = Array(template.utf8), s = Array(src.utf8)
        var out: [UInt8] = []
        var i = 0
        func isNameByte(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0x80
        }
        while i < t.count {
            guard t[i] == 36 else {
                out.append(t[i])
                i += 1
                continue
            }
            i += 1
            if i < t.count, t[i] == 36 {
                out.append(36)
                i += 1
                continue
            }
            // extract()
            var j = i
            var brace = false
            if j < t.count, t[j] == 123 {
                brace = true
                j += 1
            }
            let nameStart = j
            while j < t.count, isNameByte(t[j]) { j += 1 }
            if j == nameStart {
                out.append(36)
                continue
            }
            let name = Array(t[nameStart..<j])
            if brace {
                if j >= t.count || t[j] != 125 {
                    out.append(36)
                    continue
                }
                j += 1
            }
            var num = 0
            for c in name {
                if c < 48 || c > 57 || num >= 100_000_000 {
                    num = -1
                    break
                }
                num = num * 10 + Int(c - 48)
            }
            if name[0] == 48 && name.count > 1 { num = -1 }
            i = j
            var group = -1
            if num >= 0 {
                group = num
            } else {
                let n = String(decoding: name, as: UTF8.self)
                group = names.firstIndex(of: n).flatMap { $0 > 0 ? $0 : nil } ?? -1
            }
            if group >= 0, 2 * group + 1 < match.count, match[2 * group] >= 0 {
                out.append(contentsOf: s[match[2 * group]..<match[2 * group + 1]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
