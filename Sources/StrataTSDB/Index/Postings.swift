import StrataCore

/// Operations on sorted series-ID lists (postings): intersection for `=` matchers, union
/// for regexes, difference for matchers that accept the empty value.
public enum Postings {
    /// Intersection of two ascending lists. Galloping when sizes differ a lot.
    public static func intersect(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty || b.isEmpty { return [] }
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        var out: [UInt32] = []
        out.reserveCapacity(small.count)
        small.withUnsafeBufferPointer { s in
            large.withUnsafeBufferPointer { l in
                if l.count / s.count >= 32 {
                    var lo = 0
                    for x in s {
                        lo = gallop(l, from: lo, to: x)
                        if lo == l.count { break }
                        if l[lo] == x { out.append(x) }
                    }
                } else {
                    var i = 0, j = 0
                    while i < s.count && j < l.count {
                        let x = s[i], y = l[j]
                        if x == y { out.append(x); i += 1; j += 1 } else if x < y { i += 1 } else { j += 1 }
                    }
                }
            }
        }
        return out
    }

    public static func intersect(_ lists: [[UInt32]]) -> [UInt32] {
        guard var acc = lists.min(by: { $0.count < $1.count }) else { return [] }
        for l in lists { acc = intersect(acc, l) }
        return acc
    }

    /// Union of ascending lists, deduplicated.
    public static func merge(_ lists: [[UInt32]]) -> [UInt32] {
        switch lists.count {
        case 0: return []
        case 1: return lists[0]
        default:
            var all: [UInt32] = []
            all.reserveCapacity(lists.reduce(0) { $0 + $1.count })
            for l in lists { all.append(contentsOf: l) }
            all.sort()
            var out: [UInt32] = []
            out.reserveCapacity(all.count)
            for x in all where out.last != x { out.append(x) }
            return out
        }
    }

    /// Elements of `a` not in `b`.
    public static func without(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if b.isEmpty { return a }
        var out: [UInt32] = []
        out.reserveCapacity(a.count)
        var j = 0
        for x in a {
            while j < b.count && b[j] < x { j += 1 }
            if j < b.count && b[j] == x { continue }
            out.append(x)
        }
        return out
    }
}
