import StrataCore

/// Writes an index v2 file, section by section as Prometheus does: symbols, series (16-byte
/// aligned, ID = offset / 16), label indices, postings (all-postings first), the label
/// offset table, the postings offset table and the TOC. Series must arrive sorted.
public final class IndexWriter {
    private let f: FileWriter
    private var toc = IndexTOC()
    private var symbolRefs: [String: UInt32] = [:]
    private var lastSeries: Labels?
    private var seriesIDs: [UInt32] = []
    /// name → value → series IDs (ascending, since series arrive in order).
    private var postings: [String: [String: [UInt32]]] = [:]
    public private(set) var seriesCount = 0

    /// `symbols`: every label name and value any series will use, sorted bytewise, unique.
    public init(path: String, symbols: [String]) throws {
        f = try FileWriter(path: path)
        var h = ByteWriter()
        h.be32(IndexFormat.magic)
        h.u8(IndexFormat.version)
        try f.write(h.bytes)

        toc.symbols = UInt64(f.offset)
        var w = ByteWriter(capacity: 1 << 16)
        w.be32(0)
        w.be32(UInt32(symbols.count))
        var prev: String?
        for (i, s) in symbols.enumerated() {
            if let p = prev, !bytewiseLessT(p, s) {
                throw TSDBError.invalidArgument("index symbols not sorted or not unique at \"\(s)\"")
            }
            prev = s
            w.ustr(s)
            symbolRefs[s] = UInt32(i)
        }
        w.putBE32(UInt32(w.count - 4), at: 0)
        w.be32(w.crc32(from: 4, to: w.count))
        try f.write(w.bytes)
        toc.series = UInt64(f.offset)
    }

    /// Adds the next series (label order strictly increasing) with its chunks in time order.
    @discardableResult
    public func addSeries(_ labels: Labels, chunks: [ChunkMeta]) throws -> UInt32 {
        if let last = lastSeries, !(last < labels) {
            throw TSDBError.invalidArgument("series out of order: \(labels) after \(last)")
        }
        lastSeries = labels
        try f.pad(to: 16)
        let off = f.offset
        guard off / 16 <= Int(UInt32.max) else { throw TSDBError.invalidArgument("index exceeds 64 GiB") }
        let id = UInt32(off / 16)

        var body = ByteWriter(capacity: 16 + labels.count * 4 + chunks.count * 12)
        body.uvarint(UInt64(labels.count))
        for l in labels.pairs {
            guard let n = symbolRefs[l.name], let v = symbolRefs[l.value] else {
                throw TSDBError.invalidArgument("label \(l.name)=\(l.value) missing from the symbol table")
            }
            body.uvarint(UInt64(n))
            body.uvarint(UInt64(v))
            postings[l.name, default: [:]][l.value, default: []].append(id)
        }
        body.uvarint(UInt64(chunks.count))
        var prevMaxT: Int64 = 0
        var prevRef: UInt64 = 0
        for (i, c) in chunks.enumerated() {
            if i == 0 {
                body.varint(c.minTime)
                body.uvarint(UInt64(bitPattern: c.maxTime &- c.minTime))
                body.uvarint(c.ref)
            } else {
                body.uvarint(UInt64(bitPattern: c.minTime &- prevMaxT))
                body.uvarint(UInt64(bitPattern: c.maxTime &- c.minTime))
                body.varint(Int64(bitPattern: c.ref &- prevRef))
            }
            prevMaxT = c.maxTime
            prevRef = c.ref
        }
        var entry = ByteWriter(capacity: body.count + 10)
        entry.uvarint(UInt64(body.count))
        entry.append(body.bytes)
        entry.be32(CRC32C.checksum(body.bytes))
        try f.write(entry.bytes)
        seriesIDs.append(id)
        seriesCount += 1
        return id
    }

    /// Writes the remaining sections and the TOC, then fsyncs and closes the file.
    public func close() throws {
        let names = postings.keys.sorted(by: bytewiseLessT)

        toc.labelIndices = UInt64(f.offset)
        var labelIndexOffsets: [(String, Int)] = []
        for name in names {
            let values = postings[name]!.keys.sorted(by: bytewiseLessT)
            try f.pad(to: 4)
            labelIndexOffsets.append((name, f.offset))
            var w = ByteWriter(capacity: 16 + values.count * 4)
            w.be32(0)
            w.be32(1)
            w.be32(UInt32(values.count))
            for v in values { w.be32(symbolRefs[v]!) }
            w.putBE32(UInt32(w.count - 4), at: 0)
            w.be32(w.crc32(from: 4, to: w.count))
            try f.write(w.bytes)
        }

        toc.postings = UInt64(f.offset)
        var postingOffsets: [(String, String, Int)] = []
        try f.pad(to: 4)
        postingOffsets.append(("", "", f.offset))
        try writePostingsList(seriesIDs)
        for name in names {
            let byValue = postings[name]!
            for value in byValue.keys.sorted(by: bytewiseLessT) {
                try f.pad(to: 4)
                postingOffsets.append((name, value, f.offset))
                try writePostingsList(byValue[value]!)
            }
        }

        toc.labelIndicesTable = UInt64(f.offset)
        var lt = ByteWriter()
        lt.be32(0)
        lt.be32(UInt32(labelIndexOffsets.count))
        for (name, off) in labelIndexOffsets {
            lt.uvarint(1)
            lt.ustr(name)
            lt.uvarint(UInt64(off))
        }
        lt.putBE32(UInt32(lt.count - 4), at: 0)
        lt.be32(lt.crc32(from: 4, to: lt.count))
        try f.write(lt.bytes)

        toc.postingsTable = UInt64(f.offset)
        var pt = ByteWriter(capacity: postingOffsets.count * 24)
        pt.be32(0)
        pt.be32(UInt32(postingOffsets.count))
        for (name, value, off) in postingOffsets {
            pt.uvarint(2)
            pt.ustr(name)
            pt.ustr(value)
            pt.uvarint(UInt64(off))
        }
        pt.putBE32(UInt32(pt.count - 4), at: 0)
        pt.be32(pt.crc32(from: 4, to: pt.count))
        try f.write(pt.bytes)

        try f.write(toc.encoded)
        try f.close()
    }

    private func writePostingsList(_ ids: [UInt32]) throws {
        var w = ByteWriter(capacity: 12 + ids.count * 4)
        w.be32(UInt32(4 + 4 * ids.count))
        w.be32(UInt32(ids.count))
        for id in ids { w.be32(id) }
        w.be32(w.crc32(from: 4, to: w.count))
        try f.write(w.bytes)
    }
}

/// `bytewiseLess` as a plain function value for `sorted(by:)`.
@inline(__always) func bytewiseLessT(_ a: String, _ b: String) -> Bool { StrataCore.bytewiseLess(a, b) }
