/// Natural order of label values for `sort_by_label` (the facette/natsort comparison Prometheus
/// uses): values split into runs of digits and non-digits; two digit runs compare as integers,
/// anything else as strings, and a value that is a prefix of the other, run by run, sorts first.
enum NaturalSort {
    static func less(_ a: String, _ b: String) -> Bool {
        let ca = chunks(a), cb = chunks(b)
        for i in ca.indices {
            if i >= cb.count { return false }
            if let x = Int(ca[i]), let y = Int(cb[i]) {
                if x == y {
                    if i == ca.count - 1 { return true }
                    if i == cb.count - 1 { return false }
                    continue
                }
                return x < y
            }
            if ca[i] == cb[i] {
                if i == ca.count - 1 { return true }
                if i == cb.count - 1 { return false }
                continue
            }
            return ca[i] < cb[i]
        }
        return false
    }

    static func chunks(_ s: String) -> [Substring] {
        var out: [Substring] = []
        var start = s.startIndex
        var digit: Bool?
        for i in s.indices {
            let d = s[i].isASCII && s[i].isNumber
            if let cur = digit, cur != d {
                out.append(s[start..<i])
                start = i
            }
            digit = d
        }
        if start < s.endIndex { out.append(s[start...]) }
        return out
    }
}
