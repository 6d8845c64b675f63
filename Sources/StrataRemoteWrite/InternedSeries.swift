import StrataCore

/// A request's series looked up in the interner before they are decoded, all under one lock.
/// Looked up one by one, between the decoding of one series and the next, each probe of the
/// interner's table (megabytes for 100 k series) was a cache miss the CPU waited out: an
/// eighth of the receiver's time. In one tight loop the probes' misses overlap.
struct InternedSeries {
    /// One per `TimeSeries` of the request, in order.
    struct Entry {
        /// The series' `Label` fields (see `LabelCollector.spanStart`); nil when they are not
        /// one run of the message (then the series is looked up as it is decoded).
        let start: UnsafeRawPointer?
        let end: UnsafeRawPointer?
        let key: UInt64
        /// What the interner holds for it: nil when nothing.
        var found: (labels: Labels?, tag: UInt64)?
    }

    private(set) var entries: [Entry] = []

    /// Scans the framing of a 1.0 `WriteRequest` (or a Thanos one: the same field 1) and
    /// looks its series up; malformed input ends the scan (the decoder then reports it).
    init(request bytes: UnsafeRawBufferPointer, interner: SeriesInterner, labelsUnlessTagged: Bool) {
        var r = ProtoReader(bytes)
        do throws(RemoteWriteError) {
            while !r.isAtEnd {
                let (field, wire) = try r.readTag()
                guard field == 1, wire == .lengthDelimited else { try r.skip(wire, field: field); continue }
                entries.append(try Self.entry(try r.readLengthDelimited()))
            }
        } catch {}
        interner.lookup(&entries, labelsUnlessTagged: labelsUnlessTagged)
    }

    /// The run of `Label` fields (field 1) of one `TimeSeries`, hashed as the interner's key.
    private static func entry(_ message: ProtoReader) throws(RemoteWriteError) -> Entry {
        var r = message
        var start: UnsafeRawPointer?, end: UnsafeRawPointer?
        while !r.isAtEnd {
            let fieldStart = r.pos
            let (field, wire) = try r.readTag()
            guard field == 1, wire == .lengthDelimited else { try r.skip(wire, field: field); continue }
            let label = try r.readLengthDelimited()
            if start == nil {
                start = fieldStart
            } else if fieldStart != end {
                return Entry(start: nil, end: nil, key: 0)
            }
            end = label.end
        }
        guard let start, let end else { return Entry(start: nil, end: nil, key: 0) }
        return Entry(start: start, end: end, key: XXHash64.hash(UnsafeRawBufferPointer(start: start, count: end - start)) | 1)
    }

    /// The entry of series `index` if its label fields are exactly `start..<end`.
    func entry(_ index: Int, start: UnsafeRawPointer?, end: UnsafeRawPointer?) -> Entry? {
        guard index < entries.count, let s = entries[index].start, s == start, entries[index].end == end else { return nil }
        return entries[index]
    }
}
