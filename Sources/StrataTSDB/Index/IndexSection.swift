/// The two framings of index v2 (tsdb-block.md §3), decoded the same way whether the bytes
/// are a memory-mapped index file or a piece of one read from object storage.
///
/// Every decoder takes `buf` (the bytes at hand), `pos` (where the piece starts in `buf`)
/// and `base` (the file offset of `buf[0]`), so errors always name the offset in the index
/// file itself, whichever slice of it was read.
public enum IndexSection {
    /// The body of a `be32 len | body | be32 CRC32C(body)` section (symbol table, postings
    /// list, label index, both offset tables), CRC checked. The reader's `fileOffset` is the
    /// body's file offset.
    public static func body(_ buf: UnsafeRawBufferPointer, at pos: Int, base: Int = 0, path: String,
                            what: String) throws -> ByteReader {
        let off = base + pos
        guard pos >= 0, pos <= buf.count else {
            throw TSDBError.corrupt(path: path, offset: off, "\(what) at \(off) is past the end of the file")
        }
        do {
            var r = ByteReader(buf, pos: pos)
            let len = Int(try r.be32())
            let start = pos + 4
            guard start + len + 4 <= buf.count else {
                throw TSDBError.corrupt(path: path, offset: off, "\(what) of \(len) bytes runs past the end of the file")
            }
            var cr = ByteReader(buf, pos: start + len)
            let want = try cr.be32()
            let body = UnsafeRawBufferPointer(rebasing: buf[start..<(start + len)])
            let got = CRC32C.checksum(body)
            guard want == got else {
                throw TSDBError.corrupt(path: path, offset: off, "\(what) checksum mismatch (stored \(hex32(want)), computed \(hex32(got)))")
            }
            return ByteReader(body, fileOffset: base + start)
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path, base: base)
        }
    }

    /// The CRC-checked body of a `uvarint len | body | be32 CRC32C(body)` record (a series
    /// entry), or nil when `buf` ends before the record does: a ranged read fetches an
    /// estimate of an entry's length first and needs to know to read more.
    public static func record(_ buf: UnsafeRawBufferPointer, at pos: Int, base: Int = 0, path: String,
                              what: String) throws -> ByteReader? {
        guard let (start, len) = recordLength(buf, at: pos), start + len + 4 <= buf.count else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: buf[start..<(start + len)])
        let want = UInt32(bigEndian: buf.loadUnaligned(fromByteOffset: start + len, as: UInt32.self))
        let got = CRC32C.checksum(body)
        guard want == got else {
            throw TSDBError.corrupt(path: path, offset: base + pos,
                                    "\(what) checksum mismatch (stored \(hex32(want)), computed \(hex32(got)))")
        }
        return ByteReader(body, fileOffset: base + start)
    }

    /// Where the body of the record at `pos` starts and how long it is; nil when the length
    /// varint is cut off or malformed.
    public static func recordLength(_ buf: UnsafeRawBufferPointer, at pos: Int) -> (start: Int, length: Int)? {
        guard pos >= 0, pos <= buf.count else { return nil }
        var r = ByteReader(buf, pos: pos)
        guard let len = try? r.uvarintInt() else { return nil }
        return (r.pos, len)
    }
}
