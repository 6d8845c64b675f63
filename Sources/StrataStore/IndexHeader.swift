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
    /// Label name → values (sorted bytewise) and the offsets of their postings lists.
    let table: [String: (values: [String], offsets: [Int64])]
    /// Every postings list offset, sorted: a list ends where the next one starts.
    let sortedOffsets: [Int64]
    /// Label names of the block (without the all-postings key "").
    public let labelNames: [String]

    /// Where postings lists end: the label offset table follows them.
    var postingsEnd: Int64 {
        toc.labelIndicesTable > toc.postings ? Int64(toc.labelIndicesTable) : Int64(toc.postingsTable)
    }

    /// Where series entries end: the label indices (or the postings) follow them.
    var seriesEnd: Int64 {
        if toc.labelIndices > toc.series { return Int64(toc.labelIndices) }
        return Int64(toc.postings)
    }

    /// Values of `name`, sorted.
    public func values(_ name: String) -> [String] { table[name]?.values ?? [] }

    /// The byte range of the postings list of `name=value`, nil when the pair is absent.
    func postingsRange(_ name: String, _ value: String) -> ByteRange? {
        guard let e = table[name], let i = binarySearchValues(e.values, value) else { return nil }
        return postingsRange(at: e.offsets[i])
    }

    func postingsRanges(_ name: String, where accept: (String) -> Bool) -> [ByteRange] {
        guard let e = table[name] else { return [] }
        var out: [ByteRange] = []
        for (i, v) in e.values.enumerated() where accept(v) { out.append(postingsRange(at: e.offsets[i])) }
        return out
    }

    func postingsRange(at off: Int64) -> ByteRange {
        var lo = 0, hi = sortedOffsets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sortedOffsets[mid] <= off { lo = mid + 1 } else { hi = mid }
        }
        let end = lo < sortedOffsets.count ? sortedOffsets[lo] : postingsEnd
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
        let toc = try parseTOC(tocBytes, path: key, indexSize: indexSize)
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

    private init(indexSize: Int64, toc: IndexTOC, symbols: [String], table: [String: (values: [String], offsets: [Int64])],
                 sortedOffsets: [Int64], labelNames: [String]) {
        self.indexSize = indexSize
        self.toc = toc
        self.symbols = symbols
        self.table = table
        self.sortedOffsets = sortedOffsets
        self.labelNames = labelNames
    }

    /// Parses (and CRC-checks) a header file's bytes.
    public init(encoded bytes: [UInt8], path: String) throws {
        do {
            self = try bytes.withUnsafeBytes { buf in try Self.parse(buf, path: path) }
        } catch let e as DecodeError {
            throw TSDBError.corrupt(path: path, offset: 0, "\(e)")
        }
    }

    private static func parse(_ buf: UnsafeRawBufferPointer, path: String) throws -> IndexHeader {
        var r = ByteReader(buf)
        guard try r.be32() == Self.magic else {
            throw TSDBError.corrupt(path: path, offset: 0, "not an index-header file")
        }
        let indexSize = Int64(try r.be64())
        let tocRaw = Array(try r.bytes(IndexFormat.tocSize))
        let toc = try Self.parseTOC(tocRaw, path: path, indexSize: indexSize)
        let nSym = Int(try r.be32())
        let symRaw = try r.bytes(nSym)
        var syms: [String] = []
        if nSym > 0 {
            var sr = try Self.section(symRaw, path: path, at: Int64(toc.symbols), what: "symbol table")
            let n = Int(try sr.be32())
            syms.reserveCapacity(min(n, sr.remaining))
            for _ in 0..<n { syms.append(try sr.ustr()) }
        }
        let nTab = Int(try r.be32())
        let tabRaw = try r.bytes(nTab)
        var table: [String: (values: [String], offsets: [Int64])] = [:]
        var names: [String] = []
        var offsets: [Int64] = []
        if nTab > 0 {
            var pr = try Self.section(tabRaw, path: path, at: Int64(toc.postingsTable), what: "postings offset table")
            let n = Int(try pr.be32())
            var cur: String?
            var vals: [String] = [], offs: [Int64] = []
            for _ in 0..<n {
                guard try pr.uvarint() == 2 else {
                    throw TSDBError.corrupt(path: path, offset: Int(toc.postingsTable), "postings offset table entry without 2 keys")
                }
                let name = try pr.ustr()
                let value = try pr.ustr()
                let off = Int64(try pr.uvarint())
                if name != cur {
                    if let c = cur { table[c] = (vals, offs); names.append(c) }
                    cur = name
                    vals = []
                    offs = []
                }
                vals.append(value)
                offs.append(off)
                offsets.append(off)
            }
            if let c = cur { table[c] = (vals, offs); names.append(c) }
        }
        return IndexHeader(indexSize: indexSize, toc: toc, symbols: syms, table: table, sortedOffsets: offsets.sorted(),
                           labelNames: names.filter { !$0.isEmpty }.sorted(by: bytewiseLess))
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

    static func parseTOC(_ b: [UInt8], path: String, indexSize: Int64) throws -> IndexTOC {
        guard b.count == IndexFormat.tocSize else {
            throw TSDBError.corrupt(path: path, offset: Int(indexSize), "TOC of \(b.count) bytes")
        }
        return try b.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            var toc = IndexTOC()
            toc.symbols = try r.be64()
            toc.series = try r.be64()
            toc.labelIndices = try r.be64()
            toc.labelIndicesTable = try r.be64()
            toc.postings = try r.be64()
            toc.postingsTable = try r.be64()
            let crc = try r.be32()
            let got = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buf[0..<48]))
            let tocAt = Int(indexSize) - IndexFormat.tocSize
            guard crc == got else {
                throw TSDBError.corrupt(path: path, offset: tocAt, "TOC checksum mismatch")
            }
            for off in [toc.symbols, toc.series, toc.labelIndices, toc.labelIndicesTable, toc.postings, toc.postingsTable]
            where off > UInt64(tocAt) {
                throw TSDBError.corrupt(path: path, offset: tocAt, "TOC points at \(off), past the end of the index")
            }
            return toc
        }
    }

    /// The body of a `be32 len | body | be32 CRC` section held in `raw`, CRC checked.
    static func section(_ raw: UnsafeRawBufferPointer, path: String, at: Int64, what: String) throws -> ByteReader {
        var r = ByteReader(raw)
        let len = Int(try r.be32())
        guard 4 + len + 4 <= raw.count else {
            throw TSDBError.corrupt(path: path, offset: Int(at), "\(what) of \(len) bytes runs past its end")
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[4..<(4 + len)])
        var cr = ByteReader(raw, pos: 4 + len)
        let want = try cr.be32()
        guard want == CRC32C.checksum(body) else {
            throw TSDBError.corrupt(path: path, offset: Int(at), "\(what) checksum mismatch")
        }
        return ByteReader(body, fileOffset: Int(at) + 4)
    }

    static func be32(_ b: [UInt8], path: String, at: Int64) throws -> UInt32 {
        guard b.count >= 4 else { throw TSDBError.corrupt(path: path, offset: Int(at), "unexpected end of data") }
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }
}

/// Index of `x` in a bytewise-sorted array.
func binarySearchValues(_ a: [String], _ x: String) -> Int? {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] == x { return mid }
        if bytewiseLess(a[mid], x) { lo = mid + 1 } else { hi = mid }
    }
    return nil
}
