/// Go's `net.SplitHostPort`, `net.JoinHostPort` and `net.ParseIP`, which decide what
/// Prometheus's `stripPort` and `stripDomain` leave of an address.
enum NetHost {
    /// nil where Go returns an error.
    static func splitHostPort(_ hostport: String) -> (host: String, port: String)? {
        let b = Array(hostport.utf8)
        guard let i = b.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        var host: [UInt8]
        var j = 0, k = 0
        if b.first == UInt8(ascii: "[") {
            guard let end = b.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            if end + 1 == b.count { return nil }
            if end + 1 != i { return nil }
            host = Array(b[1..<end])
            j = 1
            k = end + 1
        } else {
            host = Array(b[0..<i])
            if host.contains(UInt8(ascii: ":")) { return nil }
        }
        if b[j...].contains(UInt8(ascii: "[")) { return nil }
        if b[k...].contains(UInt8(ascii: "]")) { return nil }
        return (String(decoding: host, as: UTF8.self), String(decoding: b[(i + 1)...], as: UTF8.self))
    }

    static func joinHostPort(_ host: String, _ port: String) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func isIP(_ s: String) -> Bool { isIPv4(Array(s.utf8)) || isIPv6(Array(s.utf8)) }

    /// Dotted decimal, four fields of 0-255, no leading zeros (Go ≥ 1.17).
    static func isIPv4(_ b: [UInt8]) -> Bool {
        let parts = b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            if p.count > 1 && p.first == 0x30 { return false }
            if Int(String(decoding: p, as: UTF8.self))! > 255 { return false }
        }
        return true
    }

    /// Eight groups of hex, `::` once, an IPv4 tail allowed; no zone.
    static func isIPv6(_ b: [UInt8]) -> Bool {
        guard b.count >= 2 else { return false }
        var groups = 0
        var ellipsis = false
        var i = 0
        if b.count >= 2 && b[0] == 0x3A && b[1] == 0x3A {
            ellipsis = true
            i = 2
            if i == b.count { return true }
        }
        while i < b.count {
            var j = i
            while j < b.count && j - i < 5, GoStrconv.hexVal(b[j]) != nil { j += 1 }
            if j - i == 0 || j - i > 4 {
                return false
            }
            if j < b.count && b[j] == UInt8(ascii: ".") {
                if !ellipsis && groups != 6 { return false }
                if groups + 2 > 8 { return false }
                if !isIPv4(Array(b[i...])) { return false }
                groups += 2
                i = b.count
                break
            }
            groups += 1
            i = j
            if i == b.count { break }
            guard b[i] == 0x3A, i + 1 < b.count else { return false }
            i += 1
            if b[i] == 0x3A {
                if ellipsis { return false }
                ellipsis = true
                i += 1
                if i == b.count { break }
            }
            if groups > 8 { return false }
        }
        if groups > 8 { return false }
        return ellipsis ? groups < 8 : groups == 8
    }
}
