/// A ULID (oklog/ulid): 48-bit millisecond timestamp + 80 random bits, as 26 Crockford
/// base32 characters. Lexicographic order of the text is creation-time order.
public struct ULID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The 128 bits as two words, so a ULID is hashed, compared and copied as two integers —
    /// ULIDs key the stores' per-block dictionaries on every query.
    let hi: UInt64
    let lo: UInt64

    /// 16 bytes, big-endian.
    public var bytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? hi : lo) >> UInt64(8 * (7 - i % 8))) }
    }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() {
            t[Int(c)] = UInt8(i)
            if c >= 65 && c <= 90 { t[Int(c) + 32] = UInt8(i) }  // lower case accepted
        }
        return t
    }()

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        hi = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        lo = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A new ULID for `timestampMs` with random entropy.
    public init(timestampMs: Int64 = currentTimeMillis()) {
        var rng = SystemRandomNumberGenerator()
        self.init(timestampMs: timestampMs, using: &rng)
    }

    public init<R: RandomNumberGenerator>(timestampMs: Int64, using rng: inout R) {
        var b = [UInt8](repeating: 0, count: 16)
        let t = UInt64(bitPattern: timestampMs) & 0xFFFF_FFFF_FFFF
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: t >> (8 * (5 - i))) }
        for i in 6..<16 { b[i] = UInt8.random(in: 0...255, using: &rng) }
        self.init(bytes: b)
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let text: String
        public var description: String { "invalid ULID \"\(text)\"" }
    }

    public init(parsing text: String) throws {
        let u = Array(text.utf8)
        guard u.count == 26, Self.decodeTable[Int(u[0])] <= 7 else { throw ParseError(text: text) }
        var v = [UInt8](repeating: 0, count: 26)
        for i in 0..<26 {
            let d = Self.decodeTable[Int(u[i])]
            if d == 0xFF { throw ParseError(text: text) }
            v[i] = d
        }
        // 26 chars × 5 bits = 130 bits; the top 2 bits are zero.
        var b = [UInt8](repeating: 0, count: 16)
        var acc: UInt32 = 0
        var bits = 0
        var out = 0
        for (i, d) in v.enumerated() {
            acc = (acc << 5) | UInt32(d)
            bits += 5
            if i == 0 { bits -= 2; acc &= 0x7 }
            while bits >= 8 {
                bits -= 8
                b[out] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                out += 1
            }
        }
        self.init(bytes: b)
    }

    public var timestampMs: Int64 { Int64(hi >> 16) }

    public var description: String {
        var out = [UInt8](repeating: 0, count: 26)
        // Treat the 128 bits as 130 with two leading zero bits.
        var acc: UInt32 = 0
        var bits = 2
        var idx = 0
        for b in bytes {
            acc = (acc << 8) | UInt32(b)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out[idx] = Self.alphabet[Int((acc >> UInt32(bits)) & 31)]
                idx += 1
            }
            acc &= (1 << UInt32(bits)) - 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (a: ULID, b: ULID) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: s)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
