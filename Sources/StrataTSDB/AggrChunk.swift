/// The five aggregates of a Thanos downsampled chunk, in on-disk order.
public enum AggrType: Int, CaseIterable, Sendable {
    case count = 0, sum, min, max, counter
}

/// Encoding byte of a chunk record (chunk-encodings.md §1).
public enum ChunkEncoding: UInt8, Sendable {
    case xor = 1
    case histogram = 2
    case floatHistogram = 3
    /// Prometheus 3.11+ XOR2: floats with optional start timestamps (`XOR2Appender`).
    case xor2 = 4
    /// Prometheus 3.11+ histograms with optional start timestamps.
    case histogramST = 5
    /// Prometheus 3.11+ float histograms with optional start timestamps.
    case floatHistogramST = 6
    case aggr = 0xFF

    /// The encoding that carries the same samples without start timestamps (the only ones
    /// the Store API, Thanos and Prometheus 2.x know): 4 → 1, 5 → 2, 6 → 3.
    public var withoutStartTimestamps: ChunkEncoding {
        switch self {
        case .xor2: .xor
        case .histogramST: .histogram
        case .floatHistogramST: .floatHistogram
        default: self
        }
    }

    /// Float (XOR or XOR2) chunks.
    public var isFloat: Bool { self == .xor || self == .xor2 }

    /// Integer or float histogram chunks, with or without start timestamps.
    public var isHistogram: Bool { self == .histogram || self == .floatHistogram || self == .histogramST || self == .floatHistogramST }

    /// Samples in a chunk of this encoding, from its header (aggregate chunks: their first
    /// sub-chunk's). The start-timestamp histogram encodings keep the count in 14 bits.
    public func sampleCount(_ data: UnsafeRawBufferPointer) throws -> Int {
        if self == .aggr { return try AggrChunk(decoding: data).numSamples }
        guard data.count >= 2 else { return 0 }
        let n = Int(data[0]) << 8 | Int(data[1])
        return self == .histogramST || self == .floatHistogramST ? n & HistogramChunkFormat.stCountMask : n
    }

    /// A readable name for an encoding byte, including the ones Strata does not decode
    /// (for errors, warnings and metric labels).
    public static func name(_ byte: UInt8) -> String {
        switch byte {
        case 1: "XOR"
        case 2: "histogram"
        case 3: "float histogram"
        case 4: "XOR2"
        case 5: "histogram with start timestamps"
        case 6: "float histogram with start timestamps"
        case 0xFF: "Thanos aggregate"
        default: "unknown"
        }
    }
}

/// A Thanos AggrChunk (encoding 0xFF): five optional sub-chunks concatenated, each prefixed
/// by `uvarint len` and, when present, the sub-chunk's encoding byte. Float series hold five
/// XOR sub-chunks; native histogram series (Thanos ≥ 0.32) hold count as XOR and sum and
/// counter as float histogram chunks (encoding 3), with min and max absent.
public struct AggrChunk: Sendable, Equatable {
    /// Raw sub-chunk bytes per aggregate (nil = absent), indexed by `AggrType.rawValue`.
    public var parts: [[UInt8]?]
    /// Encoding byte of each sub-chunk (`ChunkEncoding` raw values; meaningless when absent).
    public var encodings: [UInt8]

    public init(parts: [[UInt8]?]) {
        precondition(parts.count == 5)
        self.parts = parts
        encodings = Array(repeating: ChunkEncoding.xor.rawValue, count: 5)
    }

    public init(parts: [[UInt8]?], encodings: [UInt8]) {
        precondition(parts.count == 5 && encodings.count == 5)
        self.parts = parts
        self.encodings = encodings
    }

    public init(count: [UInt8]?, sum: [UInt8]?, min: [UInt8]?, max: [UInt8]?, counter: [UInt8]?) {
        self.init(parts: [count, sum, min, max, counter])
    }

    public subscript(_ t: AggrType) -> [UInt8]? { parts[t.rawValue] }

    /// Encoding byte of aggregate `t`, nil when it is absent.
    public func encoding(_ t: AggrType) -> UInt8? { parts[t.rawValue] == nil ? nil : encodings[t.rawValue] }

    /// Whether this chunk aggregates native histograms (Thanos `isHistogramAggrChunk`: the
    /// counter sub-chunk is a histogram or float histogram chunk).
    public var isHistogram: Bool {
        guard let e = encoding(.counter) else { return false }
        return e == ChunkEncoding.histogram.rawValue || e == ChunkEncoding.floatHistogram.rawValue
    }

    /// The chunk `data` as stored after the 0xFF encoding byte.
    public var encoded: [UInt8] {
        var w = ByteWriter()
        for (i, p) in parts.enumerated() {
            if let p {
                w.uvarint(UInt64(p.count))
                w.u8(encodings[i])
                w.append(p)
            } else {
                w.uvarint(0)
            }
        }
        return w.bytes
    }

    /// Parses AggrChunk data. Unlike Thanos's reader this accepts an absent aggregate in the
    /// last position; a present one must be XOR, histogram or float histogram and fit in the data.
    public init(decoding data: UnsafeRawBufferPointer) throws {
        var r = ByteReader(data)
        var parts: [[UInt8]?] = []
        var encodings: [UInt8] = []
        for i in 0..<5 {
            let at = r.pos
            let n = try r.uvarintInt()
            if n == 0 {
                parts.append(nil)
                encodings.append(ChunkEncoding.xor.rawValue)
                continue
            }
            let enc = try r.u8()
            guard enc == ChunkEncoding.xor.rawValue || enc == ChunkEncoding.histogram.rawValue
                    || enc == ChunkEncoding.floatHistogram.rawValue else {
                throw DecodeError.invalid(offset: at, "aggregate \(i) has unsupported encoding \(enc)")
            }
            parts.append(Array(try r.bytes(n)))
            encodings.append(enc)
        }
        self.parts = parts
        self.encodings = encodings
    }

    /// Samples in the count sub-chunk (Thanos's `NumSamples`).
    public var numSamples: Int {
        guard let c = parts[0], c.count >= 2 else { return 0 }
        return Int(c[0]) << 8 | Int(c[1])
    }
}
