/// Where `PostingsForMatchers` finds postings lists: the label values of a name and, for a
/// `name=value` pair, a reference to its list. Reading the lists is left to the caller, so
/// a memory-mapped reader decodes them on demand while the store gateway fetches all of a
/// query's lists in one coalesced batch of ranged reads (or from its index cache).
public protocol PostingsSource {
    /// Names one postings list where it is stored (an index file offset for index v2).
    associatedtype ListRef: Hashable & Sendable

    /// Values of `name`, sorted bytewise; empty when no series has the label.
    func labelValues(_ name: String) -> [String]

    /// The list of the series with `name=value`; nil when there are none. `""=""` names the
    /// list of every series (the all-postings key).
    func postingsList(_ name: String, _ value: String) -> ListRef?

    /// The lists of every value of `name` that `accept` takes, in value order.
    func postingsLists(_ name: String, where accept: (String) -> Bool) -> [ListRef]
}

extension PostingsSource {
    public func postingsLists(_ name: String, where accept: (String) -> Bool) -> [ListRef] {
        labelValues(name).filter(accept).compactMap { postingsList(name, $0) }
    }
}
