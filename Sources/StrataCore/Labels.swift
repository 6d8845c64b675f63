/// A label pair. Names and values are compared by raw UTF-8 bytes, as Prometheus does.
public struct Label: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The label name holding the metric name.
public let metricNameLabel = "__name__"

/// A sorted, duplicate-free label set with Prometheus semantics: labels with an empty value
/// do not exist, order is by name (bytes), and sets compare pairwise (name, then value) with
/// a shorter prefix first.
public struct Labels: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Sorted by name; never contains an empty value.
    public private(set) var pairs: [Label]

    public init() { pairs = [] }

    /// Builds a label set from pairs in any order. Empty values are dropped; for a duplicate
    /// name the last pair wins.
    public init(_ pairs: [Label]) {
        // Usually the pairs already are a label set (stores and index readers send them
        // sorted): then they are kept as they are, without filtering, sorting and copying.
        var isSet = true
        for i in pairs.indices where pairs[i].value.isEmpty || (i > 0 && !bytewiseLess(pairs[i - 1].name, pairs[i].name)) {
            isSet = false
            break
        }
        if isSet {
            self.pairs = pairs
            return
        }
        var sorted = pairs.filter { !$0.value.isEmpty }
        sorted.sort { bytewiseLess($0.name, $1.name) }
        var out: [Label] = []
        out.reserveCapacity(sorted.count)
        for p in sorted {
            if let last = out.last, last.name == p.name { out[out.count - 1] = p } else { out.append(p) }
        }
        self.pairs = out
    }

    /// Builds from pairs already sorted by name and free of empty values (index readers).
    public init(sortedPairs: [Label]) { self.pairs = sortedPairs }

    public init(_ dict: [String: String]) {
        self.init(dict.map { Label($0.key, $0.value) })
    }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }

    /// The value of `name`, or "" when absent (Prometheus semantics).
    public subscript(name: String) -> String {
        for p in pairs where p.name == name { return p.value }
        return ""
    }

    public func has(_ name: String) -> Bool { pairs.contains { $0.name == name } }

    public var metricName: String { self[metricNameLabel] }

    /// A copy with `name` set to `value` (removed when `value` is empty).
    public func setting(_ name: String, _ value: String) -> Labels {
        var copy = pairs.filter { $0.name != name }
        if !value.isEmpty {
            let i = copy.firstIndex { bytewiseLess(name, $0.name) } ?? copy.count
            copy.insert(Label(name, value), at: i)
        }
        return Labels(sortedPairs: copy)
    }

    public func removing(_ names: Set<String>) -> Labels {
        filtered { !names.contains($0.name) }
    }

    public func keeping(_ names: Set<String>) -> Labels {
        filtered { names.contains($0.name) }
    }

    /// Runs per series in every name-dropping function: no set to build or hash, and no
    /// copy when there is no name.
    public func dropMetricName() -> Labels {
        guard let i = pairs.firstIndex(where: { $0.name == metricNameLabel }) else { return self }
        var copy = pairs
        copy.remove(at: i)
        return Labels(sortedPairs: copy)
    }

    /// The pairs `keep` accepts, into one allocation (`filter` grows its array as it goes,
    /// which cost more than the test on a few labels).
    public func filtered(_ keep: (Label) -> Bool) -> Labels {
        var out: [Label] = []
        out.reserveCapacity(pairs.count)
        for p in pairs where keep(p) { out.append(p) }
        return Labels(sortedPairs: out)
    }

    /// Merges `other` in; labels already present in `self` win unless `overwrite`.
    /// Both sides are sorted, so this is one merge pass (it runs per series in the stores).
    public func merging(_ other: Labels, overwrite: Bool = false) -> Labels {
        if other.pairs.isEmpty { return self }
        if pairs.isEmpty { return other }
        var out: [Label] = []
        out.reserveCapacity(pairs.count + other.pairs.count)
        var i = 0, j = 0
        while i < pairs.count || j < other.pairs.count {
            if j == other.pairs.count {
                out.append(pairs[i])
                i += 1
            } else if i == pairs.count {
                out.append(other.pairs[j])
                j += 1
            } else if pairs[i].name == other.pairs[j].name {
                out.append(overwrite ? other.pairs[j] : pairs[i])
                i += 1
                j += 1
            } else if bytewiseLess(pairs[i].name, other.pairs[j].name) {
                out.append(pairs[i])
                i += 1
            } else {
                out.append(other.pairs[j])
                j += 1
            }
        }
        return Labels(sortedPairs: out)
    }

    public static func < (a: Labels, b: Labels) -> Bool { compare(a, b) < 0 }

    /// Prometheus `labels.Compare`: -1, 0 or 1.
    public static func compare(_ a: Labels, _ b: Labels) -> Int {
        let n = min(a.pairs.count, b.pairs.count)
        var i = 0
        while i < n {
            let x = a.pairs[i], y = b.pairs[i]
            if x.name != y.name { return bytewiseLess(x.name, y.name) ? -1 : 1 }
            if x.value != y.value { return bytewiseLess(x.value, y.value) ? -1 : 1 }
            i += 1
        }
        return a.pairs.count == b.pairs.count ? 0 : (a.pairs.count < b.pairs.count ? -1 : 1)
    }

    /// `{a="1", b="2"}` with Go-style escaping of values, the form promtool prints.
    public var description: String {
        var s = "{"
        for (i, p) in pairs.enumerated() {
            if i > 0 { s += ", " }
            s += p.name
            s += "="
            s += goQuote(p.value)
        }
        s += "}"
        return s
    }
}

/// Byte-wise ordering of two strings (Go string comparison), unlike Swift's Unicode ordering.
@inlinable
public func bytewiseLess(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { pa in
        b.withUTF8 { pb in
            let n = min(pa.count, pb.count)
            if n > 0 {
                let c = memcmpBytes(pa.baseAddress!, pb.baseAddress!, n)
                if c != 0 { return c < 0 }
            }
            return pa.count < pb.count
        }
    }
}

@usableFromInline
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    var i = 0
    while i < n {
        let x = a[i], y = b[i]
        if x != y { return x < y ? -1 : 1 }
        i += 1
    }
    return 0
}

/// Quotes a string the way Go's `strconv.Quote` does (printable ASCII kept, others escaped).
public func goQuote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{0B}": out += "\\v"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + hex2(UInt8(scalar.value))
            } else if scalar.value == 0xFFFD {
                out += "\\ufffd"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out += "\""
    return out
}

private func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}
