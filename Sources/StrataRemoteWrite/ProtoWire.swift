/// The protobuf wire format, by hand: a bounds-checked reader over borrowed bytes and an
/// appending writer. Remote write decodes millions of tiny messages per second; going
/// through generated message classes would allocate an object per label, sample and series
/// before anything reaches Strata's own types, so the decoders walk the bytes themselves.

import StrataCore

/// Protobuf wire types (the low 3 bits of a tag).
enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Reads one message's bytes front to back. Every read checks the end, so truncated or
/// hostile input throws instead of trapping; nothing is copied until a caller turns bytes
/// into a value. The bytes must outlive the reader (callers hold them for the decode).
struct ProtoReader {
    private(set) var pos: UnsafeRawPointer
    let end: UnsafeRawPointer

    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; any non-nil pointer with pos == end reads nothing.
        let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        pos = base
        end = base + bytes.count
    }

    @inline(__always) var isAtEnd: Bool { pos >= end }
    @inline(__always) var remaining: Int { end - pos }

    /// A varint of up to 10 bytes; longer ones are malformed (as in Go's protowire).
    @inline(__always)
    mutating func readVarint() throws(RemoteWriteError) -> UInt64 {
        guard pos < end else { throw .malformed("unexpected end of data in varint") }
        let b0 = pos.load(as: UInt8.self)
        if b0 < 0x80 {
            pos += 1
            return UInt64(b0)
        }
        return try readVarintSlow()
    }

    private mutating func readVarintSlow() throws(RemoteWriteError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw .malformed("unexpected end of data in varint") }
            let b = pos.load(as: UInt8.self)
            pos += 1
            if shift == 63 && b > 1 { throw .malformed("varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    /// The next field's number and wire type; field 0 and wire types 6/7 are malformed.
    @inline(__always)
    mutating func readTag() throws(RemoteWriteError) -> (field: UInt32, wire: WireType) {
        let tag = try readVarint()
        guard tag >> 3 != 0, tag >> 3 <= UInt64(UInt32.max >> 3),
              let wire = WireType(rawValue: UInt8(tag & 7)) else {
            throw .malformed("invalid field tag \(tag)")
        }
        return (UInt32(tag >> 3), wire)
    }

    @inline(__always)
    mutating func readFixed64() throws(RemoteWriteError) -> UInt64 {
        guard remaining >= 8 else { throw .malformed("unexpected end of data in fixed64") }
        let v = pos.loadUnaligned(as: UInt64.self)
        pos += 8
        return UInt64(littleEndian: v)
    }

    @inline(__always)
    mutating func readDouble() throws(RemoteWriteError) -> Double {
        Double(bitPattern: try readFixed64())
    }

    /// The payload of a length-delimited field as its own reader; `self` moves past it.
    @inline(__always)
    mutating func readLengthDelimited() throws(RemoteWriteError) -> ProtoReader {
        let n = try readVarint()
        guard n <= UInt64(remaining) else { throw .malformed("length \(n) exceeds the \(remaining) remaining bytes") }
        let sub = ProtoReader(start: pos, count: Int(n))
        pos += Int(n)
        return sub
    }

    private init(start: UnsafeRawPointer, count: Int) {
        pos = start
        end = start + count
    }

    /// The raw bytes of a length-delimited field (strings are validated by the caller).
    @inline(__always)
    mutating func readBytes() throws(RemoteWriteError) -> UnsafeRawBufferPointer {
        let sub = try readLengthDelimited()
        return UnsafeRawBufferPointer(start: sub.pos, count: sub.remaining)
    }

    /// Skips a field whose number the decoder does not know, of any wire type, so that newer
    /// senders' additions (forward compatibility) pass through. Groups nest; a depth bound
    /// keeps hostile input from recursing without end.
    mutating func skip(_ wire: WireType, field: UInt32, depth: Int = 0) throws(RemoteWriteError) {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64:
            guard remaining >= 8 else { throw .malformed("unexpected end of data in fixed64") }
            pos += 8
        case .fixed32:
            guard remaining >= 4 else { throw .malformed("unexpected end of data in fixed32") }
            pos += 4
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup:
            guard depth < 64 else { throw .malformed("groups nested too deeply") }
            while true {
                let (f, w) = try readTag()
                if w == .endGroup {
                    guard f == field else { throw .malformed("end group \(f) does not match start group \(field)") }
                    return
                }
                try skip(w, field: f, depth: depth + 1)
            }
        case .endGroup: throw .malformed("unexpected end group \(field)")
        }
    }

    /// Calls `body` for each element of a repeated varint field, packed (a length-delimited
    /// run) or unpacked (this one element): proto3 senders pack, older ones may not, and a
    /// parser must accept both.
    @inline(__always)
    mutating func forEachVarint(_ wire: WireType, _ body: (UInt64) throws(RemoteWriteError) -> Void) throws(RemoteWriteError) {
        switch wire {
        case .varint: try body(try readVarint())
        case .lengthDelimited:
            var sub = try readLengthDelimited()
            while !sub.isAtEnd { try body(try sub.readVarint()) }
        default: throw .malformed("wire type \(wire.rawValue) for a repeated varint field")
        }
    }

    /// Like `forEachVarint` for repeated doubles (fixed64).
    @inline(__always)
    mutating func forEachDouble(_ wire: WireType, _ body: (Double) -> Void) throws(RemoteWriteError) {
        switch wire {
        case .fixed64: body(try readDouble())
        case .lengthDelimited:
            var sub = try readLengthDelimited()
            guard sub.remaining % 8 == 0 else { throw .malformed("packed doubles of \(sub.remaining) bytes") }
            while !sub.isAtEnd { body(try sub.readDouble()) }
        default: throw .malformed("wire type \(wire.rawValue) for a repeated double field")
        }
    }

    /// Checks the wire type of a known field, so a sender that disagrees on the schema is
    /// refused rather than misread.
    @inline(__always)
    static func expect(_ wire: WireType, _ want: WireType, field: UInt32, in message: String) throws(RemoteWriteError) {
        guard wire == want else {
            throw .malformed("\(message) field \(field) has wire type \(wire.rawValue), want \(want.rawValue)")
        }
    }
}

/// ZigZag (sint32/sint64) decoding and encoding.
@inline(__always) func zigZagDecode(_ v: UInt64) -> Int64 { Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))) }
@inline(__always) func zigZagEncode(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

/// Appends protobuf fields to a byte array. Encoding is for forwarding, tests and load
/// generation, not the receive path, so it favours simplicity: a nested message is written in
/// place and its length prefix inserted in front afterwards (`withMessage`), which moves only
/// the nested bytes. Fields are written in field-number order with proto3 defaults omitted,
/// as Go and Python encoders do, so the output is byte-identical to theirs.
struct ProtoWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always)
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) mutating func tag(_ field: UInt32, _ wire: WireType) {
        varint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    /// A varint field, omitted when zero (proto3 default) unless `always` (oneof members).
    mutating func varintField(_ field: UInt32, _ v: UInt64, always: Bool = false) {
        guard v != 0 || always else { return }
        tag(field, .varint)
        varint(v)
    }

    mutating func int64Field(_ field: UInt32, _ v: Int64) { varintField(field, UInt64(bitPattern: v)) }

    mutating func doubleField(_ field: UInt32, _ v: Double, always: Bool = false) {
        // Go and Python omit +0 only; -0 has a non-zero bit pattern and is written.
        guard v.bitPattern != 0 || always else { return }
        tag(field, .fixed64)
        appendFixed64(v.bitPattern)
    }

    @inline(__always) mutating func appendFixed64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func stringField(_ field: UInt32, _ s: String, always: Bool = false) {
        guard !s.isEmpty || always else { return }
        tag(field, .lengthDelimited)
        var s = s
        s.withUTF8 { u in
            varint(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    /// A packed repeated varint field (omitted when empty).
    mutating func packedVarints<S: Collection>(_ field: UInt32, _ values: S, _ map: (S.Element) -> UInt64) {
        guard !values.isEmpty else { return }
        withMessage(field) { w in for v in values { w.varint(map(v)) } }
    }

    /// A packed repeated double field (omitted when empty).
    mutating func packedDoubles(_ field: UInt32, _ values: [Double]) {
        guard !values.isEmpty else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(values.count * 8))
        for v in values { appendFixed64(v.bitPattern) }
    }

    /// A length-delimited field whose payload `body` writes; always emitted (repeated message
    /// elements and gogo's non-nullable embedded messages are present even when empty).
    mutating func withMessage(_ field: UInt32, _ body: (inout ProtoWriter) -> Void) {
        tag(field, .lengthDelimited)
        let start = bytes.count
        body(&self)
        let n = bytes.count - start
        if n < 0x80 {
            bytes.insert(UInt8(n), at: start)
        } else {
            var prefix = ProtoWriter()
            prefix.varint(UInt64(n))
            bytes.insert(contentsOf: prefix.bytes, at: start)
        }
    }
}
