/// RFC 1035 messages, as much as discovery needs: a query with one question (plus an EDNS0
/// OPT record so answers up to 4096 bytes fit in one UDP datagram, as Thanos's miekg client
/// asks), and replies decoded into A, AAAA, SRV and CNAME records; other record types are
/// skipped by their length. Names in replies may be compressed (pointers), also inside SRV
/// and CNAME data, as dnsmasq and most servers write them.
public enum DNSRecordType: UInt16, Sendable {
    case a = 1
    case cname = 5
    case aaaa = 28
    case srv = 33
    case opt = 41
}

public enum DNSRecord: Sendable, Equatable {
    /// The address in its text form (Go's `net.IP.String`).
    case a(name: String, address: String)
    case aaaa(name: String, address: String)
    case srv(name: String, priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case cname(name: String, target: String)
}

public struct DNSReply: Sendable {
    public var id: UInt16
    public var rcode: Int
    public var truncated: Bool
    public var answers: [DNSRecord]
}

public enum DNSMessage {
    /// UDP payload size announced by EDNS0.
    static let ednsPayload: UInt16 = 4096

    /// A recursive query (RD set) for `name` of `type`, with an EDNS0 OPT record unless
    /// `edns` is false.
    public static func query(id: UInt16, name: String, type: DNSRecordType, edns: Bool = true) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        put16(&out, id)
        put16(&out, 0x0100)  // standard query, recursion desired
        put16(&out, 1)  // QDCOUNT
        put16(&out, 0)
        put16(&out, 0)
        put16(&out, edns ? 1 : 0)  // ARCOUNT
        try DNSName.encode(name, into: &out)
        put16(&out, type.rawValue)
        put16(&out, 1)  // class IN
        if edns {
            out.append(0)  // root name
            put16(&out, DNSRecordType.opt.rawValue)
            put16(&out, ednsPayload)  // class = payload size
            out += [0, 0, 0, 0]  // extended rcode, version 0, flags
            put16(&out, 0)  // no options
        }
        return out
    }

    /// Decodes a reply and checks it answers our question: same id, QR set, a standard
    /// query, and the question echoed (name case-insensitively, type).
    public static func reply(_ b: [UInt8], id: UInt16, name: String, type: DNSRecordType) throws -> DNSReply {
        var r = DNSReader(b)
        let rid = try r.u16()
        guard rid == id else { throw DNSError.mismatch("transaction id \(rid), expected \(id)") }
        let flags = try r.u16()
        guard flags & 0x8000 != 0 else { throw DNSError.malformed("not a response (QR not set)") }
        guard (flags >> 11) & 0xF == 0 else { throw DNSError.malformed("opcode \((flags >> 11) & 0xF), expected a standard query") }
        let qd = Int(try r.u16()), an = Int(try r.u16())
        _ = try r.u16()  // authority
        _ = try r.u16()  // additional (ignored: only the answer section is used)
        let rcode = Int(flags & 0xF)
        // Servers may leave the question out of an error reply; a success must echo it.
        guard qd == 1 || (qd == 0 && rcode != 0) else { throw DNSError.malformed("\(qd) questions in reply") }
        if qd == 1 {
            let qname = try DNSName.decode(&r)
            let qtype = try r.u16()
            _ = try r.u16()
            guard DNSName.same(qname, name), qtype == type.rawValue else {
                throw DNSError.mismatch("question \(qname) type \(qtype), expected \(name) type \(type.rawValue)")
            }
        }
        var answers: [DNSRecord] = []
        for _ in 0..<an {
            if let rec = try record(&r) { answers.append(rec) }
        }
        return DNSReply(id: rid, rcode: rcode, truncated: flags & 0x0200 != 0, answers: answers)
    }

    /// One resource record; nil for types discovery does not use.
    static func record(_ r: inout DNSReader) throws -> DNSRecord? {
        let owner = try DNSName.decode(&r)
        let type = try r.u16()
        let cls = try r.u16()
        _ = try r.u32()  // TTL: every lookup asks again, nothing is cached by TTL
        let length = Int(try r.u16())
        let end = r.offset + length
        guard end <= r.count else { throw DNSError.malformed("record of \(owner) runs past the end") }
        defer { r.offset = end }
        guard cls == 1 else { return nil }
        switch DNSRecordType(rawValue: type) {
        case .a:
            guard length == 4 else { throw DNSError.malformed("A record of \(owner) has \(length) bytes") }
            return .a(name: owner, address: IPText.v4(try r.bytes(4)))
        case .aaaa:
            guard length == 16 else { throw DNSError.malformed("AAAA record of \(owner) has \(length) bytes") }
            return .aaaa(name: owner, address: IPText.v6(try r.bytes(16)))
        case .srv:
            guard length >= 7 else { throw DNSError.malformed("SRV record of \(owner) has \(length) bytes") }
            let priority = try r.u16(), weight = try r.u16(), port = try r.u16()
            let target = try DNSName.decode(&r)
            guard r.offset <= end else { throw DNSError.malformed("SRV target of \(owner) runs past its record") }
            return .srv(name: owner, priority: priority, weight: weight, port: port, target: target)
        case .cname:
            let target = try DNSName.decode(&r)
            guard r.offset <= end else { throw DNSError.malformed("CNAME target of \(owner) runs past its record") }
            return .cname(name: owner, target: target)
        default:
            return nil
        }
    }

    static func put16(_ out: inout [UInt8], _ v: UInt16) {
        out.append(UInt8(v >> 8))
        out.append(UInt8(v & 0xFF))
    }
}

/// Bounds-checked big-endian reads over a whole message (names point back into it).
struct DNSReader {
    let b: [UInt8]
    var offset = 0
    init(_ b: [UInt8]) { self.b = b }
    var count: Int { b.count }

    mutating func u8() throws -> UInt8 {
        guard offset < b.count else { throw DNSError.malformed("truncated at byte \(offset)") }
        defer { offset += 1 }
        return b[offset]
    }

    mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
    mutating func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard offset + n <= b.count else { throw DNSError.malformed("truncated at byte \(offset)") }
        defer { offset += n }
        return b[offset..<offset + n]
    }
}
