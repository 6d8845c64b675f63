import StrataCore

/// Parameters of an API request: the URL query string merged with an
/// `application/x-www-form-urlencoded` POST body, repeated keys (`match[]`) kept in order —
/// the way Go's `r.FormValue`/`r.Form` sees them.
public struct FormValues: Sendable {
    private var pairs: [(String, String)] = []

    public init(_ encoded: String...) {
        for e in encoded { add(encoded: e) }
    }

    public mutating func add(encoded: String) {
        for part in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : ""))
        }
    }

    /// The first value of `key`, nil when absent (an empty value is "").
    public subscript(key: String) -> String? { pairs.first { $0.0 == key }?.1 }

    public func all(_ key: String) -> [String] { pairs.filter { $0.0 == key }.map(\.1) }

    /// Every (key, value) pair in order.
    public var items: [(String, String)] { pairs }

    /// URL-encoded again (`a=1&b=x%20y`), with `replacing` values swapped in for their keys.
    public func encoded(replacing: [String: String] = [:]) -> String {
        var seen = Set<String>()
        var parts: [String] = []
        for (k, v) in pairs {
            if let r = replacing[k] {
                if seen.insert(k).inserted { parts.append(Self.encode(k) + "=" + Self.encode(r)) }
            } else {
                parts.append(Self.encode(k) + "=" + Self.encode(v))
            }
        }
        for (k, v) in replacing.sorted(by: { $0.key < $1.key }) where !seen.contains(k) { parts.append(Self.encode(k) + "=" + Self.encode(v)) }
        return parts.joined(separator: "&")
    }

    /// Percent-encoding of everything but unreserved characters.
    public static func encode(_ s: String) -> String { urlEncode(s) }

    /// Percent-decoding with `+` as space; a malformed escape is kept literally.
    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if u[i] == UInt8(ascii: "%"), i + 2 < u.count, let h = hex(u[i + 1]), let l = hex(u[i + 2]) {
                bytes.append(h << 4 | l)
                i += 2
            } else {
                bytes.append(u[i])
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
