import Foundation
import GRPCCore
import GRPCProtobuf
import StrataCore
import SwiftProtobuf

// The protobuf wire layer under the one-pass frame codecs (`SeriesFrameSerializer`,
// `QueryRangeFrameSerializer` and their deserializers): each codec walks its known layout with
// these and leaves every other frame to SwiftProtobuf.

/// Decodes a frame with `frame` (the known layout read from borrowed bytes), or, when that
/// gives nil, with SwiftProtobuf: the answer is always what SwiftProtobuf would give.
func deserializeFrame<M: SwiftProtobuf.Message, Bytes: GRPCContiguousBytes>(
    _ bytes: Bytes, _ frame: (inout ProtoReader) -> M?
) throws -> M {
    let fast = bytes.withUnsafeBytes { buf -> M? in
        var r = ProtoReader(buf)
        return frame(&r)
    }
    if let fast { return fast }
    return try ProtobufDeserializer<M>().deserialize(bytes)
}

/// Reads protobuf wire fields from borrowed bytes; every read is bounds-checked and returns
/// nil on malformed input.
struct ProtoReader {
    let buf: UnsafeRawBufferPointer
    var at: Int
    let end: Int

    init(_ buf: UnsafeRawBufferPointer) {
        self.buf = buf
        at = 0
        end = buf.count
    }

    init(_ buf: UnsafeRawBufferPointer, from: Int, to: Int) {
        self.buf = buf
        at = from
        end = to
    }

    var atEnd: Bool { at >= end }

    mutating func varint() -> UInt64? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while at < end && shift < 64 {
            let b = buf[at]
            at += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
        return nil
    }

    /// Every field of the message, each `field` and read by `read`: a repeated message
    /// field alone in its message (a batch). Nil when any is not.
    mutating func messages<T>(field: Int, _ read: (inout ProtoReader) -> T?) -> [T]? {
        var list: [T] = []
        while !atEnd {
            guard let (f, body) = lengthDelimited(), f == field else { return nil }
            var b = body
            guard let one = read(&b) else { return nil }
            list.append(one)
        }
        return list
    }

    /// A whole frame of exactly one length-delimited field: `one`, a single message, or
    /// `batch`, a batch message repeating them in its field 1. Nil for any other frame.
    mutating func frame<T, M>(one: Int, batch: Int, _ read: (inout ProtoReader) -> T?,
                              single: (T) -> M, many: ([T]) -> M) -> M? {
        guard let (field, body) = lengthDelimited(), atEnd else { return nil }
        var b = body
        switch field {
        case one: return read(&b).map(single)
        case batch: return b.messages(field: 1, read).map(many)
        default: return nil
        }
    }

    /// A series message of labels (1) and chunks (2), in any order, nothing else: false
    /// otherwise, or when `chunk` refuses one.
    @inline(__always)
    mutating func series(label: (String, String) -> Void, chunk: (inout ProtoReader) -> Bool) -> Bool {
        while !atEnd {
            guard let (field, body) = lengthDelimited() else { return false }
            var b = body
            switch field {
            case 1:
                guard let (name, value) = b.label() else { return false }
                label(name, value)
            case 2:
                guard chunk(&b) else { return false }
            default:
                return false
            }
        }
        return true
    }

    /// A label message (`name` = 1, `value` = 2, strings, each at most once), as both the
    /// Store API and Prometheus's types define it.
    mutating func label() -> (name: String, value: String)? {
        var name = "", value = ""
        var seen = 0
        while !atEnd {
            guard let (f, v) = lengthDelimited(), (f == 1 || f == 2), seen & (1 << f) == 0, let str = v.string else { return nil }
            seen |= 1 << f
            if f == 1 { name = str } else { value = str }
        }
        return (name, value)
    }

    /// A fixed64 value (wire type 1), little-endian.
    mutating func fixed64() -> UInt64? {
        guard end - at >= 8 else { return nil }
        let v = UInt64(littleEndian: buf.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        at += 8
        return v
    }

    /// The body of a length-delimited value.
    mutating func bytes() -> ProtoReader? {
        guard let n = varint(), n <= UInt64(end - at) else { return nil }
        let r = ProtoReader(buf, from: at, to: at + Int(n))
        at += Int(n)
        return r
    }

    /// A length-delimited field: its number and body.
    mutating func lengthDelimited() -> (Int, ProtoReader)? {
        guard let tag = varint(), tag & 7 == 2, tag >> 3 < UInt64(Int32.max), let body = bytes() else { return nil }
        return (Int(tag >> 3), body)
    }

    var data: Data { Data(UnsafeRawBufferPointer(rebasing: buf[at..<end])) }

    /// Label names and values: `validatedString`'s ASCII fast path (the generic
    /// `String(validating:as:)` cost ~6 % of the querier's CPU on a small instant query).
    var string: String? { validatedString(UnsafeRawBufferPointer(rebasing: buf[at..<end])) }
}

/// Writes protobuf fields into a buffer sized in advance (fields 1–15 only: one-byte tags).
struct ProtoWriter {
    let base: UnsafeMutableRawPointer
    var at = 0

    init(_ buf: UnsafeMutableRawBufferPointer) { base = buf.baseAddress! }

    static func varintSize(_ v: UInt64) -> Int { (64 - (v | 1).leadingZeroBitCount + 6) / 7 }

    /// Tag, length and body of a length-delimited field whose body has `n` bytes.
    static func fieldSize(_ n: Int) -> Int { 1 + varintSize(UInt64(n)) + n }

    mutating func rawVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: at, as: UInt8.self)
            at += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(v), toByteOffset: at, as: UInt8.self)
        at += 1
    }

    mutating func varint(field: Int, _ v: UInt64) {
        rawVarint(UInt64(field << 3))
        rawVarint(v)
    }

    /// A fixed64 field (wire type 1): tag, then 8 bytes little-endian.
    mutating func fixed64(field: Int, _ v: UInt64) {
        rawVarint(UInt64(field << 3 | 1))
        base.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt64.self)
        at += 8
    }

    mutating func lengthPrefix(field: Int, _ n: Int) {
        rawVarint(UInt64(field << 3 | 2))
        rawVarint(UInt64(n))
    }

    mutating func bytes(_ b: UnsafeRawBufferPointer) {
        guard let p = b.baseAddress, b.count > 0 else { return }
        (base + at).copyMemory(from: p, byteCount: b.count)
        at += b.count
    }

    mutating func string(field: Int, _ s: String) {
        lengthPrefix(field: field, s.utf8.count)
        if s.utf8.withContiguousStorageIfAvailable({ bytes(UnsafeRawBufferPointer($0)) }) == nil {
            for b in s.utf8 {
                base.storeBytes(of: b, toByteOffset: at, as: UInt8.self)
                at += 1
            }
        }
    }
}

extension ProtoWriter {
    /// A whole frame of items with body sizes `sizes`: the one message of `field` (`batch`
    /// false), or a batch message in `field` that repeats them in its field 1; `item(i, &w)`
    /// writes item i's body. Sized first, allocated once, written straight through. Nothing
    /// here is generic but `Bytes` (the transport's type, unknown where the serializer is
    /// compiled, so this runs unspecialized): a loop over generic items measured at 8 % of a
    /// store's CPU in metadata look-ups.
    static func frame<Bytes: GRPCContiguousBytes>(field: Int, batch: Bool, sizes: [Int],
                                                  _ item: (Int, inout ProtoWriter) -> Void) -> Bytes {
        let body = batch ? sizes.reduce(0) { $0 + fieldSize($1) } : sizes[0]
        var out = Bytes(repeating: 0, count: fieldSize(body))
        out.withUnsafeMutableBytes { buf in
            var w = ProtoWriter(buf)
            w.lengthPrefix(field: field, body)
            for i in sizes.indices {
                if batch { w.lengthPrefix(field: 1, sizes[i]) }
                item(i, &w)
            }
        }
        return out
    }

    /// The body size of a label message (`name` = 1, `value` = 2; empty strings left out), as
    /// both the Store API and Prometheus's types define it.
    static func labelSize(_ name: String, _ value: String) -> Int {
        let a = name.utf8.count, b = value.utf8.count
        return (a == 0 ? 0 : fieldSize(a)) + (b == 0 ? 0 : fieldSize(b))
    }

    /// A label message in `field`.
    mutating func label(field: Int, _ name: String, _ value: String) {
        lengthPrefix(field: field, Self.labelSize(name, value))
        if !name.isEmpty { string(field: 1, name) }
        if !value.isEmpty { string(field: 2, value) }
    }
}
