import StrataCore

/// Series IDs whose labels satisfy all matchers: Prometheus's `PostingsForMatchers`, the one
/// implementation behind the mapped-file `IndexReader` and the store gateway's ranged reads.
///
/// Semantics (as Prometheus): a matcher that accepts "" also accepts series without the
/// label, so it cannot select by intersection; instead the series whose value it rejects
/// are subtracted at the end (`a!="x"` subtracts `a="x"`, `a=~"x|"` subtracts every other
/// value of `a`). The other matchers intersect the union of the lists of the values they
/// accept; with none of those, everything (the all-postings list) is the starting set.
/// Prometheus additionally turns a `!=`/`!~` matcher into an intersection when another
/// matcher makes the label mandatory; the resulting set is the same, so this keeps the one
/// shape.
///
/// Work is split in two so that reading the lists stays the caller's: `plan` looks only at
/// the source's offset table (which lists, combined how), `PostingsPlan.result` combines
/// the lists the caller reads, lazily.
public enum PostingsForMatchers {
    public static func plan<S: PostingsSource>(_ matchers: [Matcher], in source: S) -> PostingsPlan<S.ListRef> {
        var intersect: [[S.ListRef]] = []
        var subtract: [[S.ListRef]] = []
        for m in matchers {
            if m.matchesEmpty {
                subtract.append(source.postingsLists(m.name) { !m.matches($0) })
                continue
            }
            let lists: [S.ListRef]
            if m.type == .equal {
                lists = source.postingsList(m.name, m.value).map { [$0] } ?? []
            } else if let set = m.setMatches, m.type == .regexMatch {
                // A literal alternation: look its values up instead of running the regex.
                lists = set.compactMap { source.postingsList(m.name, $0) }
            } else {
                lists = source.postingsLists(m.name) { m.matches($0) }
            }
            // A matcher that selects no value selects no series: nothing needs reading.
            if lists.isEmpty { return .empty }
            intersect.append(lists)
        }
        if intersect.isEmpty {
            guard let all = source.postingsList("", "") else { return .empty }
            intersect.append([all])
        }
        return PostingsPlan(intersect: intersect, subtract: subtract)
    }
}

/// The postings lists a set of matchers needs and how they combine: the intersection of
/// the unions in `intersect`, minus the unions in `subtract`.
public struct PostingsPlan<ListRef: Hashable & Sendable>: Sendable {
    public let intersect: [[ListRef]]
    public let subtract: [[ListRef]]

    /// A plan that selects no series without reading any list.
    public static var empty: PostingsPlan { PostingsPlan(intersect: [], subtract: []) }

    public var isEmpty: Bool { intersect.isEmpty }

    /// Every list the plan reads, each once, in first-use order.
    public var lists: [ListRef] {
        var seen = Set<ListRef>()
        return (intersect + subtract).flatMap { $0 }.filter { seen.insert($0).inserted }
    }

    /// The selected series IDs, ascending. `list` reads one postings list; it is called in
    /// plan order and not at all past an empty intersection, so a reader that decodes on
    /// demand reads no more than it must.
    public func result(_ list: (ListRef) throws -> [UInt32]) rethrows -> [UInt32] {
        guard !isEmpty else { return [] }
        var sets: [[UInt32]] = []
        sets.reserveCapacity(intersect.count)
        for union in intersect {
            let l = Postings.merge(try union.map(list))
            if l.isEmpty { return [] }
            sets.append(l)
        }
        var result = Postings.intersect(sets)
        for union in subtract where !result.isEmpty {
            result = Postings.without(result, Postings.merge(try union.map(list)))
        }
        return result
    }
}
