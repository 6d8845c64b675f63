import StrataCore

/// Reads an index v2 file from a memory mapping. Opening checks the magic, version, TOC,
/// symbol table and postings offset table checksums; series entries and postings lists are
/// checked as they are read. Every failure names the file and the offset. The decoding
/// itself is the shared layer (`IndexSection`, `IndexSymbols`, `PostingsOffsetTable`,
/// `SeriesEntry`, `Postings.decodeList`) the store gateway's ranged reads use too.
public final class IndexReader: @unchecked Sendable {
    public let file: MappedFile
    public let toc: IndexTOC
    /// Symbol ordinal → string.
    public let symbols: [String]
    /// Label name → values and the offsets of their postings lists.
    public let postingsTable: PostingsOffsetTable
    public var labelNames: [String] { postingsTable.labelNames }
    public var path: String { file.path }

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        let buf = file.buffer
        guard buf.count >= 5 + IndexFormat.tocSize else {
            throw TSDBError.corrupt(path: path, offset: 0, "index too short (\(buf.count) bytes)")
        }
        do {
            var r = ByteReader(buf)
            let magic = try r.be32()
            guard magic == IndexFormat.magic else {
                throw TSDBError.corrupt(path: path, offset: 0, "invalid magic number \(hex32(magic))")
            }
            let version = try r.u8()
            guard version == 2 else {
                throw TSDBError.corrupt(path: path, offset: 4, "unsupported index version \(version)")
            }
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
        let tocAt = buf.count - IndexFormat.tocSize
        toc = try IndexTOC(decoding: UnsafeRawBufferPointer(rebasing: buf[tocAt...]), at: tocAt, path: path)
        symbols = toc.symbols == 0 ? [] :
            try IndexSymbols.decode(try IndexSection.body(buf, at: Int(toc.symbols), path: path, what: "symbol table"), path: path)
        postingsTable = toc.postingsTable == 0 ? PostingsOffsetTable() :
            try PostingsOffsetTable(decoding: try IndexSection.body(buf, at: Int(toc.postingsTable), path: path,
                                                                    what: "postings offset table"), path: path)
    }

    public func symbol(_ ref: UInt64, at offset: Int) throws -> String {
        try IndexSymbols.lookup(symbols, ref, at: offset, path: path)
    }

    /// The label set and chunk metas of series `id` (CRC checked).
    public func series(_ id: UInt32) throws -> (labels: Labels, chunks: [ChunkMeta]) {
        var chunks: [ChunkMeta] = []
        let labels = try series(id, chunks: &chunks)
        return (labels, chunks)
    }

    /// Like `series(_:)` but fills a caller-owned array, avoiding an allocation per series.
    public func series(_ id: UInt32, chunks: inout [ChunkMeta]) throws -> Labels {
        let off = Int(id) * 16
        let buf = file.buffer
        guard off > 0, off < buf.count else {
            chunks.removeAll(keepingCapacity: true)
            throw TSDBError.corrupt(path: path, offset: off, "series reference \(id) outside the index")
        }
        guard let labels = try SeriesEntry.decode(buf, at: off, symbols: symbols, path: path, chunks: &chunks) else {
            throw TSDBError.corrupt(path: path, offset: off, "series entry runs past the end of the file")
        }
        return labels
    }

    /// Values of a label name, sorted.
    public func labelValues(_ name: String) -> [String] { postingsTable.values(name) }

    /// The postings list of `name=value`; empty when absent.
    public func postings(_ name: String, _ value: String) throws -> [UInt32] {
        guard let off = postingsTable.postingsList(name, value) else { return [] }
        return try postingsList(at: off)
    }

    public func allPostings() throws -> [UInt32] { try postings("", "") }

    /// Series IDs whose labels satisfy all matchers (`PostingsForMatchers`), each list
    /// decoded from the mapping when the plan reaches it.
    public func postings(matching matchers: [Matcher]) throws -> [UInt32] {
        try PostingsForMatchers.plan(matchers, in: postingsTable).result { try postingsList(at: $0) }
    }

    func postingsList(at off: Int64) throws -> [UInt32] {
        try Postings.decodeList(file.buffer, at: Int(off), path: path)
    }
}
