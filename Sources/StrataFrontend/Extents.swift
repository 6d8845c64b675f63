import StrataCore

/// What the results cache holds for one key: the parts of one split interval already
/// answered, each a time range with its result. Encoded compactly (binary, little endian),
/// not as JSON, so a warm answer costs a decode and a write, not a JSON parse.
public struct Extents: Sendable, Equatable {
    public struct Extent: Sendable, Equatable {
        public var start: Int64
        public var end: Int64
        public var result: MatrixResult
        /// The PromQL warnings and infos the querier gave with this range (infos marked as in
        /// `MatrixResult.parse`): they depend on the data only, so they are cached with it.
        public var annotations: [String] = []
    }

    public var extents: [Extent] = []

    /// Version 2 carries each extent's annotations; version-1 entries read as misses.
    static let magic: [UInt8] = Array("SFX2".utf8)

    public init(extents: [Extent] = []) { self.extents = extents }

    /// Adds an extent and merges it with those it overlaps or touches (`step` apart).
    public mutating func add(_ e: Extent, step: Int64) {
        var merged = e
        var rest: [Extent] = []
        for x in extents {
            if x.start <= merged.end + step && merged.start <= x.end + step {
                let parts = x.start <= merged.start ? [x.result, merged.result] : [merged.result, x.result]
                let annotations = x.annotations + merged.annotations.filter { !x.annotations.contains($0) }
                merged = Extent(start: min(x.start, merged.start), end: max(x.end, merged.end), result: MatrixResult.merge(parts),
                                annotations: annotations)
            } else {
                rest.append(x)
            }
        }
        rest.append(merged)
        extents = rest.sorted { $0.start < $1.start }
    }

    public var encoded: [UInt8] {
        var b = ByteWriter()
        b.bytes(Self.magic)
        b.u32(UInt32(extents.count))
        for e in extents {
            b.i64(e.start)
            b.i64(e.end)
            b.u32(UInt32(e.annotations.count))
            for a in e.annotations { b.string(a) }
            b.u32(UInt32(e.result.series.count))
            for s in e.result.series {
                b.u32(UInt32(s.labels.count))
                for l in s.labels.pairs {
                    b.string(l.name)
                    b.string(l.value)
                }
                b.string(s.metricJSON)
                b.u32(UInt32(s.timestamps.count))
                for t in s.timestamps { b.i64(t) }
                for v in s.values { b.string(v) }
            }
        }
        return b.out
    }

    /// nil when the bytes are not an encoding of this version (treated as a miss).
    public init?(decoding data: [UInt8]) {
        var r = ByteCursor(data)
        guard r.take(4) == Self.magic, let n = r.u32() else { return nil }
        for _ in 0..<n {
            guard let start = r.i64(), let end = r.i64(), let na = r.u32(), na < 10_000 else { return nil }
            var annotations: [String] = []
            for _ in 0..<na {
                guard let a = r.string() else { return nil }
                annotations.append(a)
            }
            guard let ns = r.u32() else { return nil }
            var result = MatrixResult()
            for _ in 0..<ns {
                guard let nl = r.u32() else { return nil }
                var pairs: [Label] = []
                for _ in 0..<nl {
                    guard let k = r.string(), let v = r.string() else { return nil }
                    pairs.append(Label(k, v))
                }
                guard let metric = r.string(), let np = r.u32(), np < 100_000_000 else { return nil }
                var ts: [Int64] = []
                ts.reserveCapacity(Int(np))
                for _ in 0..<np {
                    guard let t = r.i64() else { return nil }
                    ts.append(t)
                }
                var vs: [String] = []
                vs.reserveCapacity(Int(np))
                for _ in 0..<np {
                    guard let v = r.string() else { return nil }
                    vs.append(v)
                }
                result.series.append(.init(labels: Labels(sortedPairs: pairs), metricJSON: metric, timestamps: ts, values: vs))
            }
            extents.append(Extent(start: start, end: end, result: result, annotations: annotations))
        }
        guard r.atEnd else { return nil }
    }
}

/// Little-endian writer for the cache encoding.
struct ByteWriter {
    var out: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { out += b }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    mutating func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        out += s.utf8
    }
}

/// Bounds-checked reader of the cache encoding: every read returns nil past the end.
struct ByteCursor {
    let data: [UInt8]
    var i = 0
    init(_ d: [UInt8]) { data = d }
    var atEnd: Bool { i == data.count }
    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, i + n <= data.count else { return nil }
        defer { i += n }
        return Array(data[i..<(i + n)])
    }
    mutating func u32() -> UInt32? {
        guard i + 4 <= data.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(data[i + k]) << (8 * k) }
        i += 4
        return v
    }
    mutating func i64() -> Int64? {
        guard i + 8 <= data.count else { return nil }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(data[i + k]) << (8 * k) }
        i += 8
        return Int64(bitPattern: v)
    }
    mutating func string() -> String? {
        guard let n = u32(), let b = take(Int(n)) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
}
