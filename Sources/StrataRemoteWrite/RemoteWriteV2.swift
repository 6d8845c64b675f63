import StrataCore
import StrataTSDB

/// Remote write 2.0: `io.prometheus.write.v2.Request { reserved 1 to 3; repeated string
/// symbols = 4; repeated TimeSeries timeseries = 5; }` (Prometheus
/// prompb/io/prometheus/write/v2/types.proto). Strings live once in the symbol table and
/// series refer to them by index: `TimeSeries { repeated uint32 labels_refs = 1; samples = 2;
/// histograms = 3; exemplars = 4; Metadata metadata = 5; }`, `Exemplar { labels_refs = 1;
/// value = 2; timestamp = 3; }`, `Metadata { type = 1; help_ref = 3; unit_ref = 4; }`.
/// Start (created) timestamps (Sample 3, Histogram 17) are skipped: Strata does not ingest
/// them.
public enum RemoteWriteV2 {
    /// Decodes an uncompressed body. A malformed message or a symbol table not starting with
    /// "" throws a 400; per-series problems (label refs out of range or odd in number, invalid
    /// labels, metadata refs out of range, no samples) follow `policy` with Prometheus's
    /// messages. A bad exemplar drops only the exemplar (its series is written), as in
    /// Prometheus. `interner` and `knownByRef` as in `RemoteWriteV1.decode`: a series is
    /// keyed by its labels written as 1.0 `Label` fields, so both protocols share one table.
    public static func decode(_ bytes: UnsafeRawBufferPointer, invalidSeries policy: InvalidSeriesPolicy = .reject,
                              interner: SeriesInterner? = nil, knownByRef: Bool = false) throws(RemoteWriteError) -> WriteBatch {
        // Fields may come in any order, so series are framed first and decoded once the
        // whole symbol table is known (senders put symbols first; the framing is cheap).
        var r = ProtoReader(bytes)
        var table = SymbolTable(eager: interner == nil)
        var seriesReaders: [ProtoReader] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 4:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "Request")
                table.append(try r.readBytes())
            case 5:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "Request")
                seriesReaders.append(try r.readLengthDelimited())
            default:
                try r.skip(wire, field: field)
            }
        }
        if let first = table.bytes.first, first.count != 0 {
            throw .badRequest("symbols table must start with an empty string, got \(goQuote(table.string(0)))")
        }
        var batch = WriteBatch()
        batch.series.reserveCapacity(seriesReaders.count)
        var decoder = SeriesDecoder(table: table, interner: interner, knownByRef: knownByRef)
        for sr in seriesReaders {
            try decoder.decode(sr, into: &batch, policy)
        }
        return batch
    }

    public static func decode(_ bytes: [UInt8], invalidSeries policy: InvalidSeriesPolicy = .reject,
                              interner: SeriesInterner? = nil, knownByRef: Bool = false) throws(RemoteWriteError) -> WriteBatch {
        try withBytes(bytes) { (b) throws(RemoteWriteError) in try decode(b, invalidSeries: policy, interner: interner, knownByRef: knownByRef) }
    }

    /// Encodes `batch` with a symbol table built from its label names and values (in order
    /// of first use, "" first as the spec requires). Series carry no metadata (the batch has
    /// none), so the metadata field is left out.
    public static func encode(_ batch: WriteBatch) -> [UInt8] {
        var symbols: [String] = [""]
        var index: [String: UInt32] = ["": 0]
        func ref(_ s: String) -> UInt32 {
            if let i = index[s] { return i }
            let i = UInt32(symbols.count)
            symbols.append(s)
            index[s] = i
            return i
        }
        func refs(_ ls: Labels) -> [UInt32] {
            var out: [UInt32] = []
            out.reserveCapacity(ls.count * 2)
            for p in ls.pairs {
                out.append(ref(p.name))
                out.append(ref(p.value))
            }
            return out
        }
        var body = ProtoWriter(capacity: batch.series.count * 48)
        for s in batch.series {
            body.withMessage(5) { w in
                w.packedVarints(1, refs(s.labels)) { UInt64($0) }
                for x in s.samples {
                    w.withMessage(2) { w in
                        w.doubleField(1, x.value)
                        w.int64Field(2, x.timestamp)
                    }
                }
                for h in s.histograms {
                    w.withMessage(3) { w in ProtoHistogram.encode(h, into: &w) }
                }
                for e in s.exemplars {
                    let er = refs(e.labels)
                    w.withMessage(4) { w in
                        w.packedVarints(1, er) { UInt64($0) }
                        w.doubleField(2, e.value)
                        w.int64Field(3, e.timestamp)
                    }
                }
            }
        }
        var out = ProtoWriter(capacity: body.bytes.count + symbols.count * 16)
        for s in symbols { out.stringField(4, s, always: true) }
        out.bytes.append(contentsOf: body.bytes)
        return out.bytes
    }
}

/// The request's symbols, decoded once each: a label referring to a symbol costs an array
/// read, not a string decode (the point of 2.0's table). With an interner most series are
/// found by their bytes, so strings are then decoded when first used.
private struct SymbolTable {
    var bytes: [UnsafeRawBufferPointer] = []
    private var strings: [String?] = []
    /// False for symbols that are not valid UTF-8 (refused when used as a series label).
    private var valid: [Bool] = []
    let eager: Bool

    init(eager: Bool) { self.eager = eager }

    mutating func append(_ b: UnsafeRawBufferPointer) {
        bytes.append(b)
        strings.append(nil)
        valid.append(true)
        if eager { decode(bytes.count - 1) }
    }

    var count: Int { bytes.count }

    mutating func string(_ i: Int) -> String {
        if let s = strings[i] { return s }
        decode(i)
        return strings[i]!
    }

    mutating func isValid(_ i: Int) -> Bool {
        if strings[i] == nil { decode(i) }
        return valid[i]
    }

    private mutating func decode(_ i: Int) {
        let s = validatedString(bytes[i])
        strings[i] = s ?? String(decoding: bytes[i], as: UTF8.self)
        valid[i] = s != nil
    }
}

/// Decodes 2.0 series with scratch buffers reused across the request.
private struct SeriesDecoder {
    var table: SymbolTable
    var labels = LabelCollector()
    var refs: [UInt32] = []
    let interner: SeriesInterner?
    let knownByRef: Bool
    /// A series' labels as 1.0 `Label` fields (the first `keyCount` bytes): its interner key.
    var key: [UInt8] = []
    var keyCount = 0

    init(table: SymbolTable, interner: SeriesInterner?, knownByRef: Bool) {
        self.table = table
        self.interner = interner
        self.knownByRef = knownByRef
    }

    mutating func decode(_ r: ProtoReader, into batch: inout WriteBatch, _ policy: InvalidSeriesPolicy) throws(RemoteWriteError) {
        var r = r
        refs.removeAll(keepingCapacity: true)
        var samples: [WriteSample] = []
        var histograms: [WriteHistogram] = []
        var exemplarReaders: [ProtoReader] = []
        var hasMetadata = false
        var helpRef: UInt64 = 0, unitRef: UInt64 = 0
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try r.forEachVarint(wire) { refs.append(UInt32(truncatingIfNeeded: $0)) }
            case 2:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                samples.append(try RemoteWriteV1.decodeSample(try r.readLengthDelimited()))
            case 3:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                histograms.append(try ProtoHistogram.decode(try r.readLengthDelimited()))
            case 4:
                // Decoded after the series' labels, which the error messages name.
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                exemplarReaders.append(try r.readLengthDelimited())
            case 5:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                let m = try decodeMetadata(try r.readLengthDelimited())
                hasMetadata = hasMetadata || m.type != 0 || m.help != 0 || m.unit != 0
                helpRef = m.help
                unitRef = m.unit
            default:
                try r.skip(wire, field: field)
            }
        }
        // Checks in Prometheus's order (appendV2): label refs, metadata refs, labels, samples.
        if let e = checkRefs(refs) {
            return try batch.reject(SeriesRejection("parsing labels for series \(goSlice(refs)): \(e.message)"), policy)
        }
        if unitRef >= UInt64(table.count) || helpRef >= UInt64(table.count) {
            let which = unitRef >= UInt64(table.count) ? "unit_ref \(unitRef)" : "help_ref \(helpRef)"
            return try batch.reject(SeriesRejection(
                "parsing metadata for series \(goSlice(refs)): metadata \(which) outside of symbols table (size \(table.count))"), policy)
        }
        var internKey: UInt64 = 0, internTag: UInt64 = 0
        let ls: Labels
        if let interner {
            let byRef = knownByRef && histograms.isEmpty && exemplarReaders.isEmpty && !samples.isEmpty
            internKey = keyBytes(refs)
            let found = key.withUnsafeBytes { interner.lookup(internKey, UnsafeRawBufferPointer(rebasing: $0[..<keyCount]), labelsUnlessTagged: byRef) }
            if let found, found.labels == nil {
                let start = batch.knownSamples.count
                batch.knownSamples.append(contentsOf: samples)
                batch.known.append(KnownSeries(internKey: internKey, ref: found.tag, samples: start..<batch.knownSamples.count))
                if hasMetadata { batch.metadataCount += 1 }
                return
            }
            if let found, let l = found.labels {
                (ls, internTag) = (l, found.tag)
            } else {
                switch labels(of: refs) {
                case .failure(let e): return try batch.reject(e, policy)
                case .success(let l): ls = l
                }
                key.withUnsafeBytes { interner.insert(internKey, UnsafeRawBufferPointer(rebasing: $0[..<keyCount]), ls) }
            }
        } else {
            switch labels(of: refs) {
            case .failure(let e): return try batch.reject(e, policy)
            case .success(let l): ls = l
            }
        }
        if samples.isEmpty && histograms.isEmpty {
            return try batch.reject(SeriesRejection("TimeSeries must contain at least one sample or histogram for series \(ls)"), policy)
        }
        var exemplars: [WriteExemplar] = []
        for er in exemplarReaders {
            do throws(SeriesRejection) {
                exemplars.append(try decodeExemplar(er))
            } catch {
                try batch.reject(SeriesRejection("parsing exemplar for series \(ls): \(error.message)"), policy)
            }
        }
        if hasMetadata { batch.metadataCount += 1 }
        var series = WriteSeries(labels: ls, samples: samples, histograms: histograms, exemplars: exemplars)
        series.internKey = internKey
        series.internTag = internTag
        batch.series.append(series)
    }

    /// Why the label refs are unusable (Prometheus's `desymbolizeLabels` messages), nil when
    /// they are usable.
    private func checkRefs(_ refs: [UInt32]) -> SeriesRejection? {
        guard refs.count % 2 == 0 else { return SeriesRejection("invalid labelRefs length \(refs.count)") }
        var i = 0
        while i < refs.count {
            let n = Int(refs[i]), v = Int(refs[i + 1])
            guard n < table.count, v < table.count else {
                return SeriesRejection("labelRefs \(n) (name) = \(v) (value) outside of symbols table (size \(table.count))")
            }
            i += 2
        }
        return nil
    }

    /// The label set of checked refs, or why Prometheus refuses it.
    private mutating func labels(of refs: [UInt32]) -> Result<Labels, SeriesRejection> {
        labels.reset()
        var i = 0
        while i < refs.count {
            let n = Int(refs[i]), v = Int(refs[i + 1])
            if !table.isValid(n) || !table.isValid(v) { labels.markInvalid() }
            labels.add(name: table.string(n), value: table.string(v), nameBytes: table.bytes[n])
            i += 2
        }
        return labels.finish()
    }

    /// Writes the labels of checked refs into `key` as 1.0 sends them (`Label { name = 1;
    /// value = 2 }` fields, in the refs' order) and returns its interner key: the same bytes,
    /// hence the same key, as the series has when it comes over 1.0.
    private mutating func keyBytes(_ refs: [UInt32]) -> UInt64 {
        // Sized first and written through a pointer: appending field by field (and moving
        // each message to insert its length) cost more than the lookup it keys.
        var size = 0
        var i = 0
        while i < refs.count {
            let m = Self.labelMessageSize(table.bytes[Int(refs[i])].count, table.bytes[Int(refs[i + 1])].count)
            size += 1 + uvarintSize(UInt64(m)) + m
            i += 2
        }
        if key.count < size { key = [UInt8](repeating: 0, count: max(size, 2 * key.count)) }
        return key.withUnsafeMutableBytes { out in
            var p = out.baseAddress!
            func put(_ b: UInt8) { p.storeBytes(of: b, as: UInt8.self); p += 1 }
            func putVarint(_ n: Int) {
                var n = UInt(n)
                while n >= 0x80 { put(UInt8(truncatingIfNeeded: n) | 0x80); n >>= 7 }
                put(UInt8(n))
            }
            func putField(_ tag: UInt8, _ b: UnsafeRawBufferPointer) {
                guard b.count > 0 else { return }
                put(tag)
                putVarint(b.count)
                p.copyMemory(from: b.baseAddress!, byteCount: b.count)
                p += b.count
            }
            var i = 0
            while i < refs.count {
                let n = table.bytes[Int(refs[i])], v = table.bytes[Int(refs[i + 1])]
                put(0x0a)
                putVarint(Self.labelMessageSize(n.count, v.count))
                putField(0x0a, n)
                putField(0x12, v)
                i += 2
            }
            keyCount = size
            return XXHash64.hash(UnsafeRawBufferPointer(start: out.baseAddress, count: size)) | 1
        }
    }

    /// The size of `Label { name = 1; value = 2 }` with strings of these sizes (empty ones
    /// left out, as Go's encoder does).
    private static func labelMessageSize(_ name: Int, _ value: Int) -> Int {
        (name > 0 ? 1 + uvarintSize(UInt64(name)) + name : 0) + (value > 0 ? 1 + uvarintSize(UInt64(value)) + value : 0)
    }

    private mutating func decodeExemplar(_ r: ProtoReader) throws(SeriesRejection) -> WriteExemplar {
        var r = r
        var refs: [UInt32] = []
        var e = WriteExemplar(labels: Labels(), timestamp: 0, value: 0)
        do throws(RemoteWriteError) {
            while !r.isAtEnd {
                let (field, wire) = try r.readTag()
                switch field {
                case 1:
                    try r.forEachVarint(wire) { refs.append(UInt32(truncatingIfNeeded: $0)) }
                case 2:
                    try ProtoReader.expect(wire, .fixed64, field: field, in: "Exemplar")
                    e.value = try r.readDouble()
                case 3:
                    try ProtoReader.expect(wire, .varint, field: field, in: "Exemplar")
                    e.timestamp = Int64(bitPattern: try r.readVarint())
                default:
                    try r.skip(wire, field: field)
                }
            }
        } catch {
            throw SeriesRejection(error.message)
        }
        guard refs.count % 2 == 0 else { throw SeriesRejection("invalid labelRefs length \(refs.count)") }
        var pairs: [Label] = []
        pairs.reserveCapacity(refs.count / 2)
        var i = 0
        while i < refs.count {
            let n = Int(refs[i]), v = Int(refs[i + 1])
            guard n < table.count, v < table.count else {
                throw SeriesRejection("labelRefs \(n) (name) = \(v) (value) outside of symbols table (size \(table.count))")
            }
            pairs.append(Label(table.string(n), table.string(v)))
            i += 2
        }
        e.labels = Labels(pairs)
        return e
    }

    private func decodeMetadata(_ r: ProtoReader) throws(RemoteWriteError) -> (type: UInt64, help: UInt64, unit: UInt64) {
        var r = r
        var m: (type: UInt64, help: UInt64, unit: UInt64) = (0, 0, 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1, 3, 4:
                try ProtoReader.expect(wire, .varint, field: field, in: "Metadata")
                let v = try r.readVarint()
                if field == 1 { m.type = v } else if field == 3 { m.help = UInt64(UInt32(truncatingIfNeeded: v)) } else { m.unit = UInt64(UInt32(truncatingIfNeeded: v)) }
            default:
                try r.skip(wire, field: field)
            }
        }
        return m
    }
}

/// Go's `%v` of a `[]uint32` (`[1 2 3]`), as Prometheus's messages print label refs.
private func goSlice(_ refs: [UInt32]) -> String {
    "[" + refs.map { String($0) }.joined(separator: " ") + "]"
}


