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
        var t = ms
        if t < 0 {
            byte(UInt8(ascii: "-"))
            t = -t
        }
        integer(UInt64(t / 1000))
        let frac = Int(t % 1000)
        if frac != 0 {
            bytes.append(contentsOf: [UInt8(ascii: "."), UInt8(48 + frac / 100), UInt8(48 + frac / 10 % 10), UInt8(48 + frac % 10)])
        }
    }

    public mutating func integer(_ n: UInt64) {
        var digits = 1
        var p: UInt64 = 10
        while digits < 20 && n >= p {
            digits += 1
            p = p &* 10
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var r = n
        var i = start + digits - 1
        while r > 0 {
            bytes[i] = UInt8(48 + r % 10)
            r /= 10
            i -= 1
        }
    }

    @inline(__always) static func hex(_ v: UInt32) -> UInt8 {
        let d = UInt8(v & 15)
        return d < 10 ? 48 + d : 87 + d
    }
}
