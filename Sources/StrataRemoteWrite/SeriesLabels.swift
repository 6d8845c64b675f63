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
    private var fields: [ProtoReader] = []
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
        fields.removeAll(keepingCapacity: true)
        pairs = []
        pairs.reserveCapacity(capacityHint)
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
        pairs.append(Label(name, value))
    }

    /// Marks the series invalid for a reason found outside the labels (a non-UTF-8 symbol).
    mutating func markInvalid() { invalid = true }

    /// With an interner: keeps a `Label` message for `labels(decode:)` instead of decoding it;
    /// `wireStart` is where its field (tag and length) begins in the request. Without one:
    /// decodes it at once.
    @inline(__always)
    mutating func add(field: ProtoReader, wireStart: UnsafeRawPointer,
                      decode: (ProtoReader) throws(RemoteWriteError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws(RemoteWriteError) {
        guard interner != nil else {
            let (n, v) = try decode(field)
            add(nameBytes: n, valueBytes: v)
            return
        }
        fields.append(field)
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

    /// The label fields' bytes (see `spanStart`) while `body` runs.
    @inline(__always)
    private func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws(RemoteWriteError) -> R) throws(RemoteWriteError) -> R {
        if copied { return try withBytes(raw, body) }
        guard let start = spanStart, let end = spanEnd else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: start, count: end - start))
    }

    /// The series' labels and intern key: the interned ones when these bytes were seen
    /// before, else built (and interned when valid).
    mutating func labels(decode: (ProtoReader) throws(RemoteWriteError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws(RemoteWriteError)
        -> (Result<Labels, SeriesRejection>, key: UInt64, tag: UInt64) {
        guard let interner else { return (finish(), 0, 0) }
        let (key, known) = try withKeyBytes { b in
            let key = XXHash64.hash(b) | 1
            return (key, interner.lookup(key, b))
        }
        if let known { return (.success(known.labels), key, known.tag) }
        for f in fields {
            let (n, v) = try decode(f)
            add(nameBytes: n, valueBytes: v)
        }
        let result = finish()
        if case .success(let l) = result { try withKeyBytes { b in interner.insert(key, b, l) } }
        return (result, key, 0)
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
