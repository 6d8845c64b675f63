import Foundation
import StrataCore
import StrataTSDB
import StrataObjStore

/// The parts of a block's index a store gateway keeps locally: the TOC, the symbol table
/// and the postings offset table. With them every query can find its postings lists and
/// decode series entries with ranged reads of the index in the bucket, so the index itself
/// (often gigabytes) is never downloaded.
///
/// On disk (`<data-dir>/<ULID>/index-header`) it is the three pieces exactly as they appear
/// in the index, CRCs included, behind a small header — so a restart re-verifies and re-parses
/// them without touching the bucket:
/// `be32 magic | be64 index size | TOC (52 bytes) | be32 n | symbols section (n bytes) |
/// be32 m | postings offset table section (m bytes)`.
public struct IndexHeader: Sendable {
    public static let magic: UInt32 = 0x5354_4948  // "STIH"
    public static let fileName = "index-header"

    public let indexSize: Int64
    public let toc: IndexTOC
    public let symbols: [String]
    /// Label name → values and the offsets of their postings lists (the shared decoding).
    public let postingsTable: PostingsOffsetTable
    /// Every postings list offset, sorted: a list ends where the next one starts.
    let sortedOffsets: [Int64]
    /// Label names of the block (without the all-postings key "").
    public var labelNames: [String] { postingsTable.labelNames }

    /// Values of `name`, sorted.
    public func values(_ name: String) -> [String] { postingsTable.values(name) }

    /// The byte range of the postings list at `off`: up to the next list, or to the end of
    /// the postings section for the last one.
    func postingsRange(at off: Int64) -> ByteRange {
        var lo = 0, hi = sortedOffsets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sortedOffsets[mid] <= off { lo = mid + 1 } else { hi = mid }
        }
        let end = lo < sortedOffsets.count ? sortedOffsets[lo] : Int64(toc.postingsEnd)
        return ByteRange(off, max(end, off + 8))
    }

    // MARK: building and persisting

    /// Builds the header with four small ranged reads of the index at `key` (TOC, symbol
    /// table length and body, postings offset table) and returns it with its file encoding.
    public static func build(bucket: any Bucket, key: String, indexSize: Int64) async throws -> (IndexHeader, [UInt8]) {
        let tocSize = Int64(IndexFormat.tocSize)
        guard indexSize >= 5 + tocSize else {
            throw TSDBError.corrupt(path: key, offset: 0, "index too short (\(indexSize) bytes)")
        }
        let tocBytes = try await bucket.getRange(key, offset: indexSize - tocSize, length: tocSize).collect()
        let toc = try tocBytes.withUnsafeBytes { try IndexTOC(decoding: $0, at: Int(indexSize - tocSize), path: key) }
        var symbols: [UInt8] = []
        if toc.symbols != 0 {
            let lenBytes = try await bucket.getRange(key, offset: Int64(toc.symbols), length: 4).collect()
            let len = Int64(try be32(lenBytes, path: key, at: Int64(toc.symbols)))
            symbols = try await bucket.getRange(key, offset: Int64(toc.symbols), length: 4 + len + 4).collect()
        }
        var table: [UInt8] = []
        if toc.postingsTable != 0 {
            table = try await bucket.getRange(key, offset: Int64(toc.postingsTable),
                                              length: indexSize - tocSize - Int64(toc.postingsTable)).collect()
        }
        var file = ByteWriter()
        file.be32(magic)
        file.be64(UInt64(indexSize))
        file.bytes.append(contentsOf: tocBytes)
        file.be32(UInt32(symbols.count))
        file.bytes.append(contentsOf: symbols)
        file.be32(UInt32(table.count))
        file.bytes.append(contentsOf: table)
        let bytes = file.bytes
        return (try IndexHeader(encoded: bytes, path: key), bytes)
    }

    /// Parses (and CRC-checks) a header file's bytes.
    public init(encoded bytes: [UInt8], path: String) throws {
        self = try bytes.withUnsafeBytes { buf in
            do { return try Self.parse(buf, path: path) } catch let e as DecodeError {
                throw TSDBError.corrupt(path: path, offset: 0, "\(e)")
            }
        }
    }

    /// The header's own framing holds the index's pieces verbatim; each is decoded by the
    /// index layer with its offset in the index, so errors name the index offset.
    private static func parse(_ buf: UnsafeRawBufferPointer, path: String) throws -> IndexHeader {
        var r = ByteReader(buf)
        guard try r.be32() == Self.magic else {
            throw TSDBError.corrupt(path: path, offset: 0, "not an index-header file")
        }
        let indexSize = Int64(try r.be64())
        let tocAt = Int(indexSize) - IndexFormat.tocSize
        let toc = try IndexTOC(decoding: try r.bytes(IndexFormat.tocSize), at: tocAt, path: path)
        let symRaw = try r.bytes(Int(try r.be32()))
        let symbols = symRaw.isEmpty ? [] : try IndexSymbols.decode(
            try IndexSection.body(symRaw, at: 0, base: Int(toc.symbols), path: path, what: "symbol table"), path: path)
        let tabRaw = try r.bytes(Int(try r.be32()))
        let table = tabRaw.isEmpty ? PostingsOffsetTable() : try PostingsOffsetTable(
            decoding: try IndexSection.body(tabRaw, at: 0, base: Int(toc.postingsTable), path: path, what: "postings offset table"),
            path: path)
        return IndexHeader(indexSize: indexSize, toc: toc, symbols: symbols, postingsTable: table,
                           sortedOffsets: table.allOffsets.sorted())
    }

    private init(indexSize: Int64, toc: IndexTOC, symbols: [String], postingsTable: PostingsOffsetTable, sortedOffsets: [Int64]) {
        self.indexSize = indexSize
        self.toc = toc
        self.symbols = symbols
        self.postingsTable = postingsTable
        self.sortedOffsets = sortedOffsets
    }

    /// Loads the header of a block from `dir` if a valid one is there.
    public static func load(dir: String) -> IndexHeader? {
        let path = dir + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? IndexHeader(encoded: [UInt8](data), path: path)
    }

    /// Writes the file atomically (temp + rename), so a crash never leaves a torn header.
    public static func persist(_ bytes: [UInt8], dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = dir + "/" + fileName + ".tmp"
        try Data(bytes).write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, dir + "/" + fileName) == 0 else {
            throw TSDBError.io(path: dir + "/" + fileName, errno: errno)
        }
    }

    // MARK: decoding helpers

    static func be32(_ b: [UInt8], path: String, at: Int64) throws -> UInt32 {
        guard b.count >= 4 else { throw TSDBError.corrupt(path: path, offset: Int(at), "unexpected end of data") }
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }
}
