/// An append-only UTF-8 buffer for JSON written the way Go's encoding/json (and so the
/// Prometheus API) writes it. One buffer instead of string concatenation: encoding a large
/// query result must not cost more than computing it.
public struct JSONBytes {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) public mutating func byte(_ b: UInt8) { bytes.append(b) }

    public mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    public mutating func string(_ s: String) {
        // Label names and values are nearly always ASCII with nothing to escape: one table
        // look-up per byte and one copy of the string's bytes with its quotes (this runs for
        // every label of every series in an answer).
        var u = s
        let plain = u.withUTF8 { b in
            if Self.escaped.withUnsafeBufferPointer({ table in b.contains { table[Int($0)] } }) { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: b)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if plain { return }
        byte(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x3C, 0x3E, 0x26, 0x2028, 0x2029:
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), Self.hex(v >> 12), Self.hex(v >> 8),
                                          Self.hex(v >> 4), Self.hex(v)])
            case 0..<0x80:
                bytes.append(UInt8(v))
            default:
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    /// `,"warnings":[…]` and `,"infos":[…]`, each only when it has items: how the Prometheus
    /// API appends a query's annotations to its answer.
    public mutating func annotations(warnings: [String], infos: [String]) {
        if !warnings.isEmpty {
            append(",\"warnings\":")
            stringArray(warnings)
        }
        if !infos.isEmpty {
            append(",\"infos\":")
            stringArray(infos)
        }
    }

    /// `["a","b"]`.
    public mutating func stringArray(_ items: [String]) {
        byte(UInt8(ascii: "["))
        for (i, x) in items.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(x)
        }
        byte(UInt8(ascii: "]"))
    }

    public mutating func metric(_ labels: Labels) {
        byte(UInt8(ascii: "{"))
        for (i, p) in labels.pairs.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(p.name)
            byte(UInt8(ascii: ":"))
            string(p.value)
        }
        byte(UInt8(ascii: "}"))
    }
    public mutating func timestamp(_ ms: Int64) {
        appendWritten(capacity: 24) { Self.writeTimestamp(ms, $0) }
    }

    /// Writes milliseconds as seconds with a millisecond fraction (none when whole) at `p`
    /// (at most 24 bytes: sign, 19 digits, `.` and 3 digits); returns the bytes written. Points are the bulk of a large answer: each is written into
    /// a small stack buffer and appended once rather than byte by byte.
    @inlinable
    public static func writeTimestamp(_ ms: Int64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        var t = ms.magnitude
        if ms < 0 {
            p[0] = UInt8(ascii: "-")
            n = 1
        }
        let frac = Int(t % 1000)
        t /= 1000
        n += writeInteger(t, p + n)
        if frac != 0 {
            p[n] = UInt8(ascii: ".")
            p[n + 1] = UInt8(truncatingIfNeeded: 48 + frac / 100)
            p[n + 2] = UInt8(truncatingIfNeeded: 48 + frac / 10 % 10)
            p[n + 3] = UInt8(truncatingIfNeeded: 48 + frac % 10)
            n += 4
        }
        return n
    }

    /// Writes `n` in decimal at `p` (at most 20 bytes); returns the bytes written. Two digits
    /// per division (a matrix writes one timestamp per point).
    @inlinable
    public static func writeInteger(_ n: UInt64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = 1
        var limit: UInt64 = 10
        while digits < 20 && n >= limit {
            digits += 1
            limit = limit &* 10
        }
        let pairs = digitPairs.utf8Start
        var r = n
        var i = digits
        while r >= 100 {
            let q = r / 100
            let d = Int(truncatingIfNeeded: r &- q &* 100) &* 2
            i -= 2
            p[i] = pairs[d]
            p[i + 1] = pairs[d + 1]
            r = q
        }
        if r >= 10 {
            let d = Int(truncatingIfNeeded: r) &* 2
            p[0] = pairs[d]
            p[1] = pairs[d + 1]
        } else {
            p[0] = UInt8(truncatingIfNeeded: 48 &+ r)
        }
        return digits
    }

    /// "00", "01", … "99".
    @usableFromInline static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    public mutating func integer(_ n: UInt64) {
        appendWritten(capacity: 20) { Self.writeInteger(n, $0) }
    }

    /// Appends bytes written by `write` into a stack buffer of `capacity` bytes (it returns
    /// how many it wrote).
    @inlinable
    public mutating func appendWritten(capacity: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buf in
            appendBuffer(UnsafeBufferPointer(start: buf.baseAddress, count: write(buf.baseAddress!)))
        }
    }

    @usableFromInline mutating func appendBuffer(_ b: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: b) }

    /// Bytes a JSON string cannot carry as they are: controls, `"` and `\\`, what Go escapes
    /// for HTML (`<`, `>`, `&`), and every non-ASCII byte (U+2028/U+2029 are escaped too).
    static let escaped: [Bool] = (0..<256).map { b in
        b < 0x20 || b >= 0x80 || b == 0x22 || b == 0x5C || b == 0x3C || b == 0x3E || b == 0x26
    }

    @inline(__always) static func hex(_ v: UInt32) -> UInt8 {
        let d = UInt8(v & 15)
        return d < 10 ? 48 + d : 87 + d
    }
}
