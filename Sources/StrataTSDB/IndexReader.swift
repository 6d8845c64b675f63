import StrataCore

/// Reads an index v2 file from a memory mapping. Opening checks the magic, version, TOC,
/// symbol table and postings offset table checksums; series entries and postings lists are
/// checked as they are read. Every failure names the file and the offset.
public final class IndexReader: @unchecked Sendable {
    public let file: MappedFile
    public let toc: IndexTOC
    /// Symbol ordinal → string.
    public let symbols: [String]
    /// Label name → (values sorted bytewise, offsets of their postings lists).
    let postingsTable: [String: (values: [String], offsets: [Int])]
    public let labelNames: [String]
    public var path: String { file.path }

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        let buf = file.buffer
        do {
            guard buf.count >= 5 + IndexFormat.tocSize else {
                throw TSDBError.corrupt(path: path, offset: 0, "index too short (\(buf.count) bytes)")
            }
            var r = ByteReader(buf)
            let magic = try r.be32()
            guard magic == IndexFormat.magic else {
                throw TSDBError.corrupt(path: path, offset: 0, "invalid magic number \(hex32(magic))")
            }
            let version = try r.u8()
            guard version == 2 else {
                throw TSDBError.corrupt(path: path, offset: 4, "unsupported index version \(version)")
            }
            let tocAt = buf.count - IndexFormat.tocSize
            var tr = ByteReader(buf, pos: tocAt)
            var toc = IndexTOC()
            toc.symbols = try tr.be64()
            toc.series = try tr.be64()
            toc.labelIndices = try tr.be64()
            toc.labelIndicesTable = try tr.be64()
            toc.postings = try tr.be64()
            toc.postingsTable = try tr.be64()
            let crc = try tr.be32()
            let got = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buf[tocAt..<(tocAt + 48)]))
            guard crc == got else {
                throw TSDBError.corrupt(path: path, offset: tocAt, "TOC checksum mismatch (stored \(hex32(crc)), computed \(hex32(got)))")
            }
            for (name, off) in [("symbols", toc.symbols), ("series", toc.series), ("label indices", toc.labelIndices),
                                ("label offset table", toc.labelIndicesTable), ("postings", toc.postings),
                                ("postings offset table", toc.postingsTable)] where off > UInt64(tocAt) {
                throw TSDBError.corrupt(path: path, offset: tocAt, "TOC points \(name) at \(off), past the end of the index")
            }
            self.toc = toc

            var syms: [String] = []
            if toc.symbols != 0 {
                var sr = try Self.section(buf, at: Int(toc.symbols), path: path, what: "symbol table")
                let n = Int(try sr.be32())
                syms.reserveCapacity(min(n, sr.remaining))
                for _ in 0..<n { syms.append(try sr.ustr()) }
            }
            symbols = syms

            var table: [String: (values: [String], offsets: [Int])] = [:]
            var names: [String] = []
            if toc.postingsTable != 0 {
                var pr = try Self.section(buf, at: Int(toc.postingsTable), path: path, what: "postings offset table")
                let n = Int(try pr.be32())
                var curName: String?
                var vals: [String] = []
                var offs: [Int] = []
                for _ in 0..<n {
                    let at = pr.pos
                    guard try pr.uvarint() == 2 else {
                        throw TSDBError.corrupt(path: path, offset: pr.fileOffset + at, "postings offset table entry without 2 keys")
                    }
                    let name = try pr.ustr()
                    let value = try pr.ustr()
                    let off = try pr.uvarintInt()
                    if name != curName {
                        if let c = curName { table[c] = (vals, offs); names.append(c) }
                        curName = name
                        vals = []
                        offs = []
                    }
                    vals.append(value)
                    offs.append(off)
                }
                if let c = curName { table[c] = (vals, offs); names.append(c) }
            }
            postingsTable = table
            labelNames = names.filter { !$0.isEmpty }.sorted(by: bytewiseLessT)
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }

    /// A reader over a `be32 len | body | be32 CRC` section's body, CRC checked.
    static func section(_ buf: UnsafeRawBufferPointer, at off: Int, path: String, what: String) throws -> ByteReader {
        var r = ByteReader(buf, pos: off)
        let len = Int(try r.be32())
        let start = off + 4
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
        return ByteReader(body, fileOffset: start)
    }

    public func symbol(_ ref: UInt64, at offset: Int) throws -> String {
        guard ref < UInt64(symbols.count) else {
            throw TSDBError.corrupt(path: path, offset: offset, "symbol reference \(ref) out of range (\(symbols.count) symbols)")
        }
        return symbols[Int(ref)]
    }

    /// The label set and chunk metas of series `id` (CRC checked).
    public func series(_ id: UInt32) throws -> (labels: Labels, chunks: [ChunkMeta]) {
        var chunks: [ChunkMeta] = []
        let labels = try series(id, chunks: &chunks)
        return (labels, chunks)
    }

    /// Like `series(_:)` but fills a caller-owned array, avoiding an allocation per series.
    public func series(_ id: UInt32, chunks: inout [ChunkMeta]) throws -> Labels {
        chunks.removeAll(keepingCapacity: true)
        let off = Int(id) * 16
        let buf = file.buffer
        guard off > 0, off < buf.count else {
            throw TSDBError.corrupt(path: path, offset: off, "series reference \(id) outside the index")
        }
        do {
            var r = ByteReader(buf, pos: off)
            let len = try r.uvarintInt()
            let start = r.pos
            guard start + len + 4 <= buf.count else {
                throw TSDBError.corrupt(path: path, offset: off, "series entry of \(len) bytes runs past the end of the file")
            }
            let body = UnsafeRawBufferPointer(rebasing: buf[start..<(start + len)])
            var cr = ByteReader(buf, pos: start + len)
            let want = try cr.be32()
            let got = CRC32C.checksum(body)
            guard want == got else {
                throw TSDBError.corrupt(path: path, offset: off, "series checksum mismatch (stored \(hex32(want)), computed \(hex32(got)))")
            }
            var b = ByteReader(body, fileOffset: start)
            let nl = try b.uvarintInt()
            var pairs: [Label] = []
            pairs.reserveCapacity(nl)
            for _ in 0..<nl {
                let at = b.fileOffset + b.pos
                let n = try symbol(try b.uvarint(), at: at)
                let v = try symbol(try b.uvarint(), at: at)
                pairs.append(Label(n, v))
            }
            let nc = try b.uvarintInt()
            chunks.reserveCapacity(nc)
            var maxT: Int64 = 0
            var ref: UInt64 = 0
            for i in 0..<nc {
                let minT: Int64
                if i == 0 {
                    minT = try b.varint()
                    maxT = minT &+ Int64(bitPattern: try b.uvarint())
                    ref = try b.uvarint()
                } else {
                    minT = maxT &+ Int64(bitPattern: try b.uvarint())
                    maxT = minT &+ Int64(bitPattern: try b.uvarint())
                    ref = ref &+ UInt64(bitPattern: try b.varint())
                }
                chunks.append(ChunkMeta(ref: ref, minTime: minT, maxTime: maxT))
            }
            return Labels(sortedPairs: pairs)
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }

    /// Values of a label name, sorted.
    public func labelValues(_ name: String) -> [String] { postingsTable[name]?.values ?? [] }

    /// The postings list of `name=value`; empty when absent.
    public func postings(_ name: String, _ value: String) throws -> [UInt32] {
        guard let e = postingsTable[name], let i = binarySearch(e.values, value) else { return [] }
        return try postingsList(at: e.offsets[i])
    }

    public func allPostings() throws -> [UInt32] { try postings("", "") }

    /// Postings of every value of `name` accepted by `accept`, merged.
    public func postings(_ name: String, where accept: (String) -> Bool) throws -> [UInt32] {
        guard let e = postingsTable[name] else { return [] }
        var lists: [[UInt32]] = []
        for (i, v) in e.values.enumerated() where accept(v) { lists.append(try postingsList(at: e.offsets[i])) }
        return Postings.merge(lists)
    }

    func postingsList(at off: Int) throws -> [UInt32] {
        do {
            var r = try Self.section(file.buffer, at: off, path: path, what: "postings list")
            let n = Int(try r.be32())
            guard n * 4 == r.remaining else {
                throw TSDBError.corrupt(path: path, offset: off, "postings list length \(n) does not match its section size")
            }
            var out = [UInt32](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { o in
                let base = r.buf.baseAddress! + r.pos
                for i in 0..<n { o[i] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            }
            return out
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }
}

/// Index of `x` in a bytewise-sorted array.
func binarySearch(_ a: [String], _ x: String) -> Int? {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] == x { return mid }
        if bytewiseLess(a[mid], x) { lo = mid + 1 } else { hi = mid }
    }
    return nil
}
