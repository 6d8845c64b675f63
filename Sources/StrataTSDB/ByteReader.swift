/// A bounds-checked cursor over raw bytes (usually an mmap'd file). Every read past the end
/// or malformed varint throws `DecodeError` with the offset, so corrupt files give an error,
/// never a crash.
public struct ByteReader {
    public let buf: UnsafeRawBufferPointer
    public var pos: Int
    /// Offset of `buf` in its file, for error messages.
    public let fileOffset: Int

    public init(_ buf: UnsafeRawBufferPointer, pos: Int = 0, fileOffset: Int = 0) {
        self.buf = buf
        self.pos = pos
        self.fileOffset = fileOffset
    }

    public var remaining: Int { buf.count - pos }
    public var isAtEnd: Bool { pos >= buf.count }

    @inline(__always) func need(_ n: Int) throws {
        if n < 0 || pos + n > buf.count { throw DecodeError.truncated(offset: fileOffset + pos) }
    }

    @inlinable public mutating func u8() throws -> UInt8 {
        guard pos < buf.count else { throw DecodeError.truncated(offset: fileOffset + pos) }
        let v = buf[pos]
        pos += 1
        return v
    }

    public mutating func be32() throws -> UInt32 {
        try need(4)
        let v = UInt32(bigEndian: buf.loadUnaligned(fromByteOffset: pos, as: UInt32.self))
        pos += 4
        return v
    }

    public mutating func be64() throws -> UInt64 {
        try need(8)
        let v = UInt64(bigEndian: buf.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
        pos += 8
        return v
    }

    @inlinable public mutating func uvarint() throws -> UInt64 {
        var x: UInt64 = 0
        var s: UInt64 = 0
        var i = 0
        while true {
            guard pos < buf.count else { throw DecodeError.truncated(offset: fileOffset + pos) }
            let b = buf[pos]
            pos += 1
            if b < 0x80 {
                if i == 9 && b > 1 { throw DecodeError.badVarint(offset: fileOffset + pos - 1) }
                return x | (UInt64(b) << s)
            }
            x |= UInt64(b & 0x7F) << s
            s += 7
            i += 1
            if i >= 10 { throw DecodeError.badVarint(offset: fileOffset + pos - 1) }
        }
    }

    @inlinable public mutating func varint() throws -> Int64 {
        let ux = try uvarint()
        let x = Int64(bitPattern: ux >> 1)
        return (ux & 1) != 0 ? ~x : x
    }

    /// A uvarint that must fit an Int (lengths, counts).
    public mutating func uvarintInt() throws -> Int {
        let at = pos
        let v = try uvarint()
        guard v <= UInt64(Int32.max) else { throw DecodeError.invalid(offset: fileOffset + at, "length \(v) too large") }
        return Int(v)
    }

    public mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        try need(n)
        let s = UnsafeRawBufferPointer(rebasing: buf[pos..<(pos + n)])
        pos += n
        return s
    }

    public mutating func ustr() throws -> String {
        let n = try uvarintInt()
        return String(decoding: try bytes(n), as: UTF8.self)
    }

    public mutating func skip(_ n: Int) throws {
        try need(n)
        pos += n
    }
}

/// A malformed or truncated encoding at a file offset.
public enum DecodeError: Error, CustomStringConvertible, Equatable {
    case truncated(offset: Int)
    case badVarint(offset: Int)
    case invalid(offset: Int, String)

    public var description: String {
        switch self {
        case .truncated(let o): return "unexpected end of data at offset \(o)"
        case .badVarint(let o): return "invalid varint at offset \(o)"
        case .invalid(let o, let m): return "\(m) at offset \(o)"
        }
    }
}
