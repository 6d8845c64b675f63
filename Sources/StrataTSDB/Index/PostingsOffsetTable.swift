import StrataCore

/// The postings offset table: for every `name=value` pair (and the all-postings key `""=""`)
/// the file offset of its postings list. It is all a reader needs to find postings, list a
/// name's values and the block's label names, so both the mapped-file reader and the store
/// gateway's index-header keep it decoded in memory; it is also the `PostingsSource` that
/// `PostingsForMatchers` plans against.
public struct PostingsOffsetTable: Sendable {
    /// A label name's values (in table order, which is bytewise sorted) and the offsets of
    /// their postings lists, index for index.
    struct Entry: Sendable {
        var values: [String]
        var offsets: [Int64]
    }

    let entries: [String: Entry]
    /// Label names of the block, sorted bytewise, without the all-postings key "".
    public let labelNames: [String]

    public init() {
        entries = [:]
        labelNames = []
    }

    /// Decodes the section body `be32 n | n × (uvarint 2 | name | value | uvarint offset)`.
    public init(decoding body: ByteReader, path: String) throws {
        var r = body
        var table: [String: Entry] = [:]
        var names: [String] = []
        do {
            let n = Int(try r.be32())
            var cur: String?
            var entry = Entry(values: [], offsets: [])
            for _ in 0..<n {
                let at = r.pos
                guard try r.uvarint() == 2 else {
                    throw TSDBError.corrupt(path: path, offset: r.fileOffset + at, "postings offset table entry without 2 keys")
                }
                let name = try r.ustr()
                let value = try r.ustr()
                let offAt = r.pos
                let raw = try r.uvarint()
                guard raw <= UInt64(Int64.max) else {
                    throw TSDBError.corrupt(path: path, offset: r.fileOffset + offAt, "postings offset \(raw) out of range")
                }
                let off = Int64(raw)
                if name != cur {
                    if let c = cur { table[c] = entry; names.append(c) }
                    cur = name
                    entry = Entry(values: [], offsets: [])
                }
                entry.values.append(value)
                entry.offsets.append(off)
            }
            if let c = cur { table[c] = entry; names.append(c) }
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
        entries = table
        labelNames = names.filter { !$0.isEmpty }.sorted(by: bytewiseLessT)
    }

    /// Values of `name`, sorted bytewise; empty when the block has no such label.
    public func values(_ name: String) -> [String] { entries[name]?.values ?? [] }

    /// Every postings list's offset, in no particular order.
    public var allOffsets: [Int64] { entries.values.flatMap(\.offsets) }
}

extension PostingsOffsetTable: PostingsSource {
    public func labelValues(_ name: String) -> [String] { values(name) }

    public func postingsList(_ name: String, _ value: String) -> Int64? {
        guard let e = entries[name], let i = binarySearch(e.values, value) else { return nil }
        return e.offsets[i]
    }

    public func postingsLists(_ name: String, where accept: (String) -> Bool) -> [Int64] {
        guard let e = entries[name] else { return [] }
        var out: [Int64] = []
        for (i, v) in e.values.enumerated() where accept(v) { out.append(e.offsets[i]) }
        return out
    }
}

/// Index of `x` in a bytewise-sorted array.
func binarySearch(_ a: [String], _ x: String) -> Int? {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] == x { return mid }
        if bytewiseLess(a[mid], x) { lo = mid + 1 } else { hi = mid }
    }
    return nil
}
