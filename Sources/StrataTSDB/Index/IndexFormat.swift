/// Constants and the table of contents of the index file (tsdb-block.md §3).
public enum IndexFormat {
    public static let magic: UInt32 = 0xBAAA_D700
    public static let version: UInt8 = 2
    public static let tocSize = 52
}

/// The index TOC: absolute offsets of each section (0 = absent).
public struct IndexTOC: Sendable, Equatable {
    public var symbols: UInt64 = 0
    public var series: UInt64 = 0
    public var labelIndices: UInt64 = 0
    public var labelIndicesTable: UInt64 = 0
    public var postings: UInt64 = 0
    public var postingsTable: UInt64 = 0

    public init() {}

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: IndexFormat.tocSize)
        for v in [symbols, series, labelIndices, labelIndicesTable, postings, postingsTable] { w.be64(v) }
        w.be32(w.crc32(from: 0, to: w.count))
        return w.bytes
    }
}

extension IndexTOC {
    /// Decodes and checks the TOC: `buf` is exactly its 52 bytes, which sit at `tocAt` in an
    /// index of `tocAt + 52` bytes. No section may start past the TOC.
    public init(decoding buf: UnsafeRawBufferPointer, at tocAt: Int, path: String) throws {
        guard buf.count == IndexFormat.tocSize else {
            throw TSDBError.corrupt(path: path, offset: tocAt, "TOC of \(buf.count) bytes")
        }
        var r = ByteReader(buf, fileOffset: tocAt)
        self.init()
        do {
            symbols = try r.be64()
            series = try r.be64()
            labelIndices = try r.be64()
            labelIndicesTable = try r.be64()
            postings = try r.be64()
            postingsTable = try r.be64()
            let crc = try r.be32()
            let got = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buf[0..<48]))
            guard crc == got else {
                throw TSDBError.corrupt(path: path, offset: tocAt, "TOC checksum mismatch (stored \(hex32(crc)), computed \(hex32(got)))")
            }
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
        for (name, off) in [("symbols", symbols), ("series", series), ("label indices", labelIndices),
                            ("label offset table", labelIndicesTable), ("postings", postings),
                            ("postings offset table", postingsTable)] where off > UInt64(tocAt) {
            throw TSDBError.corrupt(path: path, offset: tocAt, "TOC points \(name) at \(off), past the end of the index")
        }
    }

    /// Where series entries end: the label indices (or, without them, the postings) follow.
    public var seriesEnd: UInt64 { labelIndices > series ? labelIndices : postings }

    /// Where postings lists end: the label offset table (or the postings offset table) follows.
    public var postingsEnd: UInt64 { labelIndicesTable > postings ? labelIndicesTable : postingsTable }
}
