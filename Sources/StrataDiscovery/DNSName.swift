/// Domain names on the wire (RFC 1035 §3.1, §4.1.4): length-prefixed labels ending in a zero
/// byte, where a reply may replace the tail of a name by a pointer to an earlier occurrence.
/// Names are handled without the trailing dot (`store.test`); a trailing dot in input is
/// accepted and means the same name.
enum DNSName {
    static let maxLength = 255

    static func encode(_ name: String, into out: inout [UInt8]) throws {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        var total = 1
        if !trimmed.isEmpty {
            for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(label.utf8)
                guard !bytes.isEmpty else { throw DNSError.malformed("empty label in name \"\(name)\"") }
                guard bytes.count <= 63 else { throw DNSError.malformed("label longer than 63 bytes in \"\(name)\"") }
                total += 1 + bytes.count
                out.append(UInt8(bytes.count))
                out += bytes
            }
        }
        guard total <= maxLength else { throw DNSError.malformed("name longer than 255 bytes: \"\(name)\"") }
        out.append(0)
    }

    /// Reads a name at the reader's offset and moves past it (past the first pointer, when
    /// the name is compressed). A pointer must point before the label it replaces, which
    /// rules out loops.
    static func decode(_ r: inout DNSReader) throws -> String {
        var labels: [String] = []
        var pos = r.offset
        var resume: Int?
        var total = 1
        while true {
            guard pos < r.count else { throw DNSError.malformed("name runs past the end at byte \(pos)") }
            let len = Int(r.b[pos])
            switch len & 0xC0 {
            case 0xC0:
                guard pos + 1 < r.count else { throw DNSError.malformed("name pointer cut off at byte \(pos)") }
                let target = (len & 0x3F) << 8 | Int(r.b[pos + 1])
                guard target < pos else { throw DNSError.malformed("name pointer at byte \(pos) does not point back (to \(target))") }
                if resume == nil { resume = pos + 2 }
                pos = target
            case 0:
                if len == 0 {
                    r.offset = resume ?? pos + 1
                    return labels.joined(separator: ".")
                }
                guard pos + 1 + len <= r.count else { throw DNSError.malformed("label runs past the end at byte \(pos)") }
                total += 1 + len
                guard total <= maxLength else { throw DNSError.malformed("name longer than 255 bytes") }
                labels.append(String(decoding: r.b[pos + 1..<pos + 1 + len], as: UTF8.self))
                pos += 1 + len
            default:
                throw DNSError.malformed("label type 0x\(String(len & 0xC0, radix: 16)) at byte \(pos)")
            }
        }
    }

    /// DNS names compare case-insensitively (ASCII), trailing dot or not.
    static func same(_ a: String, _ b: String) -> Bool {
        func norm(_ s: String) -> String { (s.hasSuffix(".") ? String(s.dropLast()) : s).lowercased() }
        return norm(a) == norm(b)
    }
}

/// Addresses in the text form Go's `net.IP.String` gives them, which is what Thanos puts in
/// its resolved addresses: dotted IPv4; IPv6 in RFC 5952 form (lowercase, leading zeros
/// dropped, the longest run of two or more zero groups as `::`, the first on a tie); an
/// IPv4-mapped IPv6 address as plain dotted IPv4.
enum IPText {
    static func v4(_ b: ArraySlice<UInt8>) -> String { b.map(String.init).joined(separator: ".") }

    static func v6(_ b: ArraySlice<UInt8>) -> String {
        let bytes = Array(b)
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return v4(bytes[12..<16]) }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { (bestStart, bestLen) = (i, j - i) }
                i = j
            } else {
                i += 1
            }
        }
        var out = ""
        i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLen
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }
}
