/// Decoding one postings list: the section `be32 len | be32 n | n × be32 series ID | CRC`.
extension Postings {
    /// The series IDs of the postings list section at `pos` of `buf` (`base`: file offset of
    /// `buf[0]`), CRC checked.
    public static func decodeList(_ buf: UnsafeRawBufferPointer, at pos: Int, base: Int = 0, path: String) throws -> [UInt32] {
        var r = try IndexSection.body(buf, at: pos, base: base, path: path, what: "postings list")
        let n: Int
        do { n = Int(try r.be32()) } catch { throw TSDBError.from(error, path: path) }
        guard n * 4 == r.remaining else {
            throw TSDBError.corrupt(path: path, offset: base + pos, "postings list length \(n) does not match its section size")
        }
        var out = [UInt32](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { o in
            let src = r.buf.baseAddress! + r.pos
            for i in 0..<n { o[i] = UInt32(bigEndian: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        }
        return out
    }
}
