import StrataCore

/// What a decoder does with a series Prometheus's write handler would refuse (invalid or
/// missing metric name, empty or non-UTF-8 label name, duplicate label name; in 2.0 also
/// symbol references out of range and series without samples).
public enum InvalidSeriesPolicy: Sendable {
    /// Throw a 400 naming the first such series; nothing of the request is written. The
    /// simple contract: a request is taken whole or not at all.
    case reject
    /// Leave the series out of `WriteBatch.series` and note why in `WriteBatch.rejected`, so
    /// the receiver can write the rest and then answer 400 (the partial write Prometheus
    /// does for 2.0; for 1.0 it silently drops such series and answers 204).
    case collect
}

/// Builds one series' label set while its label fields are decoded, checking what
/// Prometheus checks (`labels.IsValid(model.UTF8Validation)`, `HasDuplicateLabelNames`).
///
/// Senders send labels sorted (Prometheus sorts before sending, and the 1.0 spec requires
/// it), so order and duplicates are checked on the raw name bytes as they arrive and the sort
/// is skipped. Unsorted input is accepted and sorted, as Prometheus does (its handler builds
/// labels with `ScratchBuilder.Sort()`); a duplicate is refused either way, never resolved by
/// "last wins" as `Labels(_:)` would. Empty values are dropped after the checks (a label with
/// an empty value does not exist), but a duplicate name with an empty value still counts,
/// as in Prometheus.
struct LabelCollector {
    /// Known label sets by wire bytes (nil: every series' labels are built).
    let interner: SeriesInterner?
    /// The series' `Label` fields as sent (tag, length, message), the interner's key: a span
    /// of the request while the fields follow one another (Prometheus writes a series' labels
    /// first, together), copied into `raw` only if another field comes between them.
    private var spanStart: UnsafeRawPointer?
    private var spanEnd: UnsafeRawPointer?
    private var raw: [UInt8] = []
    private var copied = false
    private(set) var pairs: [Label] = []
    private var prevName = UnsafeRawBufferPointer(start: nil, count: 0)
    private var sorted = true
    private var duplicate: String?
    private var invalid = false
    private var hasEmptyValue = false
    private var metricNameOK = false
    /// Capacity for the next series' array: series of one request tend to have similar sizes.
    private var capacityHint = 12

    init(interner: SeriesInterner? = nil) { self.interner = interner }

    mutating func reset() {
        spanStart = nil
        spanEnd = nil
        if copied { raw.removeAll(keepingCapacity: true) }
        copied = false
        // Allocated when labels are built (not for a series found interned).
        pairs = []
        prevName = UnsafeRawBufferPointer(start: nil, count: 0)
        sorted = true
        duplicate = nil
        invalid = false
        hasEmptyValue = false
        metricNameOK = false
    }

    /// Adds a label from wire bytes (1.0 and Thanos carry strings inline).
    @inline(__always)
    mutating func add(nameBytes: UnsafeRawBufferPointer, valueBytes: UnsafeRawBufferPointer) {
        let name = validatedString(nameBytes)
        let value = validatedString(valueBytes)
        if name == nil || value == nil { invalid = true }
        add(name: name ?? String(decoding: nameBytes, as: UTF8.self),
            value: value ?? String(decoding: valueBytes, as: UTF8.self), nameBytes: nameBytes)
    }

    /// Adds a label whose strings are already decoded (2.0 symbols); `nameBytes` are the
    /// name's bytes in the request, for the order check.
    @inline(__always)
    mutating func add(name: String, value: String, nameBytes: UnsafeRawBufferPointer) {
        if nameBytes.count == 0 { invalid = true }
        if value.isEmpty { hasEmptyValue = true }
        if nameBytes.count == 8 && nameBytes.loadUnaligned(as: UInt64.self) == metricNameWord { metricNameOK = !value.isEmpty }
        if sorted && !pairs.isEmpty {
            let c = compareBytes(prevName, nameBytes)
            if c > 0 { sorted = false } else if c == 0 && duplicate == nil { duplicate = name }
        }
        prevName = nameBytes
        if pairs.capacity == 0 { pairs.reserveCapacity(capacityHint) }
        pairs.append(Label(name, value))
    }

    /// Marks the series invalid for a reason found outside the labels (a non-UTF-8 symbol).
    mutating func markInvalid() { invalid = true }

    /// With an interner: notes where a `Label` field is (it is decoded only if the series is
    /// not interned, from the key bytes, which hold whole fields); `wireStart` is where its
    /// tag and length begin in the request. Without one: decodes it at once.
    @inline(__always)
    mutating func add(field: ProtoReader, wireStart: UnsafeRawPointer,
                      decode: (ProtoReader) throws(RemoteWriteError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws(RemoteWriteError) {
        guard interner != nil else {
            let (n, v) = try decode(field)
            add(nameBytes: n, valueBytes: v)
            return
        }
        guard let start = spanStart, let end = spanEnd else {
            (spanStart, spanEnd) = (wireStart, field.end)
            return
        }
        if !copied && wireStart == end {
            spanEnd = field.end
            return
        }
        // Not adjacent: the same bytes as a span would hold, gathered (rare: no sender we know).
        if !copied {
            raw.append(contentsOf: UnsafeRawBufferPointer(start: start, count: end - start).assumingMemoryBound(to: UInt8.self))
            copied = true
        }
        raw.append(contentsOf: UnsafeRawBufferPointer(start: wireStart, count: field.end - wireStart).assumingMemoryBound(to: UInt8.self))
    }

    /// The label fields' bytes when they lie together in the request (see `spanStart`).
    private var span: UnsafeRawBufferPointer {
        guard let start = spanStart, let end = spanEnd else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: start, count: end - start)
    }

    /// The label fields' bytes while `body` runs.
    @inline(__always)
    private func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws(RemoteWriteError) -> R) throws(RemoteWriteError) -> R {
        copied ? try withBytes(raw, body) : try body(span)
    }

    /// The series' labels and intern key: the interned ones when these bytes were seen
    /// before, else built (and interned when valid). With `tagSuffices`, an interned series
    /// with a tag comes back as `.tagged` without its labels. `interned`: the request's
    /// series looked up beforehand, this one at `index`.
    mutating func labels(tagSuffices: Bool = false, interned: InternedSeries? = nil, index: Int = 0,
                         decode: (ProtoReader) throws(RemoteWriteError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws(RemoteWriteError)
        -> Resolved {
        guard let interner else { return .labels(finish(), key: 0, tag: 0) }
        let key: UInt64, known: (labels: Labels?, tag: UInt64)?
        if !copied, let pre = interned?.entry(index, start: spanStart, end: spanEnd),
           pre.found == nil || pre.found?.labels != nil || tagSuffices {
            (key, known) = (pre.key, pre.found)
        } else {
            (key, known) = try withKeyBytes { b in
                let key = XXHash64.hash(b) | 1
                return (key, interner.lookup(key, b, labelsUnlessTagged: tagSuffices))
            }
        }
        if let known {
            guard let labels = known.labels else { return .tagged(key: key, tag: known.tag) }
            return .labels(.success(labels), key: key, tag: known.tag)
        }
        // The key bytes are the series' `Label` fields, each checked by `decodeSeries`.
        let gathered = copied ? raw : [], span = self.span
        try withBytes(gathered) { (g) throws(RemoteWriteError) in
            var r = ProtoReader(copied ? g : span)
            while !r.isAtEnd {
                _ = try r.readTag()
                let (n, v) = try decode(try r.readLengthDelimited())
                add(nameBytes: n, valueBytes: v)
            }
        }
        let result = finish()
        if case .success(let l) = result { try withKeyBytes { b in interner.insert(key, b, l) } }
        return .labels(result, key: key, tag: 0)
    }

    /// What `labels(tagSuffices:decode:)` found.
    enum Resolved {
        /// The series is interned with this tag (its labels were not asked for).
        case tagged(key: UInt64, tag: UInt64)
        /// The series' labels (or why it is refused), its intern key and tag (0: none).
        case labels(Result<Labels, SeriesRejection>, key: UInt64, tag: UInt64)
    }

    /// The label set, or the message Prometheus gives for the series.
    mutating func finish() -> Result<Labels, SeriesRejection> {
        capacityHint = max(pairs.count, 1)
        if !sorted {
            pairs.sort { bytewiseLess($0.name, $1.name) }
            for i in pairs.indices.dropFirst() where pairs[i].name == pairs[i - 1].name {
                duplicate = pairs[i].name
                break
            }
        }
        // Prometheus's order: name and validity first, then duplicates.
        if invalid || !metricNameOK {
            return .failure(SeriesRejection("invalid metric name or labels, got \(Labels(sortedPairs: pairs))"))
        }
        if let duplicate {
            return .failure(SeriesRejection("invalid labels for series, labels \(Labels(sortedPairs: pairs)), duplicated label \(duplicate)"))
        }
        if hasEmptyValue { pairs.removeAll { $0.value.isEmpty } }
        return .success(Labels(sortedPairs: pairs))
    }
}

/// Why one series (or part of it) cannot be written: the text for the 400 answer.
struct SeriesRejection: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// `__name__` as one little-endian word ("_" 0x5f, "n" 0x6e, "a" 0x61, "m" 0x6d, "e" 0x65):
/// the check runs for every label.
private let metricNameWord: UInt64 = 0x5f5f_656d_616e_5f5f

/// Byte-wise three-way comparison (Go string order).
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n {
        let x = a[i], y = b[i]
        if x != y { return x < y ? -1 : 1 }
        i += 1
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

extension WriteBatch {
    /// Applies `policy` to a series that cannot be written.
    mutating func reject(_ r: SeriesRejection, _ policy: InvalidSeriesPolicy) throws(RemoteWriteError) {
        switch policy {
        case .reject: throw .badRequest(r.message)
        case .collect: rejected.append(r.message)
        }
    }
}
