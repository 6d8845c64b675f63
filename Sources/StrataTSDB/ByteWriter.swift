/// An append-only byte buffer with the TSDB primitive encodings (big-endian fixed ints,
/// Go-compatible uvarint/varint, length-prefixed strings).
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    /// Appends what `body` writes through a pointer, at most `maxCount` bytes: one capacity
    /// and uniqueness check for a whole record instead of one per byte appended (each
    /// `append` of the methods below is a call into the runtime's uniqueness check).
    @inlinable
    public mutating func write(upTo maxCount: Int, _ body: (inout UnsafeByteWriter) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: maxCount))
        let written = bytes.withUnsafeMutableBytes { b in
            var w = UnsafeByteWriter(b.baseAddress! + start)
            body(&w)
            return w.count
        }
        precondition(written <= maxCount, "wrote \(written) bytes into \(maxCount)")
        bytes.removeLast(maxCount - written)
    }

    @inlinable public mutating func u8(_ v: UInt8) { bytes.append(v) }

    @inlinable public mutating func be16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF))
    }

    @inlinable public mutating func be32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8((v >> 16) & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }

    @inlinable public mutating func be64(_ v: UInt64) {
        be32(UInt32(v >> 32)); be32(UInt32(v & 0xFFFF_FFFF))
    }

    @inlinable public mutating func uvarint(_ v: UInt64) {
        var x = v
        while x >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        bytes.append(UInt8(x))
    }

    @inlinable public mutating func varint(_ v: Int64) {
        uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    public mutating func ustr(_ s: String) {
        var s = s
        s.withUTF8 { b in
            uvarint(UInt64(b.count))
            bytes.append(contentsOf: b)
        }
    }

    public mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// Zero bytes up to the next multiple of `n`, counting from `base` (the file offset of byte 0).
    public mutating func pad(to n: Int, base: Int = 0) {
        let r = (base + bytes.count) % n
        if r != 0 { bytes.append(contentsOf: repeatElement(0, count: n - r)) }
    }

    /// Overwrites 4 bytes at `at` with `v` big-endian (length fields known only afterwards).
    public mutating func putBE32(_ v: UInt32, at: Int) {
        bytes[at] = UInt8(v >> 24); bytes[at + 1] = UInt8((v >> 16) & 0xFF)
        bytes[at + 2] = UInt8((v >> 8) & 0xFF); bytes[at + 3] = UInt8(v & 0xFF)
    }

    public func crc32(from: Int, to: Int) -> UInt32 { CRC32C.checksum(bytes[from..<to]) }
}

/// Encoded size of a uvarint.
@inlinable public func uvarintSize(_ v: UInt64) -> Int {
    var x = v, n = 1
    while x >= 0x80 { x >>= 7; n += 1 }
    return n
}

/// `ByteWriter`'s encodings into memory the caller sized (see `ByteWriter.write(upTo:_:)`).
public struct UnsafeByteWriter {
    @usableFromInline let start: UnsafeMutableRawPointer
    @usableFromInline var p: UnsafeMutableRawPointer

    @inlinable init(_ start: UnsafeMutableRawPointer) {
        self.start = start
        p = start
    }

    /// Bytes written so far.
    @inlinable public var count: Int { p - start }

    /// The most bytes a uvarint takes.
    public static let maxVarintBytes = 10

    @inlinable public mutating func u8(_ v: UInt8) {
        p.storeBytes(of: v, as: UInt8.self)
        p += 1
    }

    @inlinable public mutating func be64(_ v: UInt64) {
        p.storeBytes(of: v.bigEndian, as: UInt64.self)
        p += 8
    }

    @inlinable public mutating func uvarint(_ v: UInt64) {
        var x = v
        while x >= 0x80 {
            u8(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        u8(UInt8(x))
    }

    @inlinable public mutating func varint(_ v: Int64) {
        uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// A uvarint length and the string's UTF-8 bytes.
    @inlinable public mutating func ustr(_ s: String) {
        var s = s
        s.withUTF8 { b in
            uvarint(UInt64(b.count))
            if let base = b.baseAddress { p.copyMemory(from: base, byteCount: b.count) }
            p += b.count
        }
    }
}
