import StrataCore

/// A series entry of the index: `uvarint len | uvarint #labels | #labels × (uvarint name
/// ref | uvarint value ref) | uvarint #chunks | chunk metas | be32 CRC32C`, at a 16-byte
/// aligned offset whose sixteenth is the series ID. Chunk metas are delta-encoded: the
/// first holds `varint minT | uvarint maxT-minT | uvarint ref`, the next ones
/// `uvarint minT-prevMaxT | uvarint maxT-minT | varint ref-prevRef`.
public enum SeriesEntry {
    /// Decodes the entry whose record starts at `pos` of `buf` (`base`: file offset of
    /// `buf[0]`) into its labels, refilling `chunks` (kept by the caller so a scan over many
    /// series allocates once). Nil when `buf` ends before the entry does: a ranged reader
    /// then reads the rest. Corrupt bytes throw, naming `path` and the file offset.
    public static func decode(_ buf: UnsafeRawBufferPointer, at pos: Int, base: Int = 0, symbols: [String],
                              path: String, chunks: inout [ChunkMeta]) throws -> Labels? {
        chunks.removeAll(keepingCapacity: true)
        guard var b = try IndexSection.record(buf, at: pos, base: base, path: path, what: "series") else { return nil }
        do {
            let nl = try b.uvarintInt()
            var pairs: [Label] = []
            pairs.reserveCapacity(nl)
            for _ in 0..<nl {
                let at = b.fileOffset + b.pos
                let n = try IndexSymbols.lookup(symbols, try b.uvarint(), at: at, path: path)
                let v = try IndexSymbols.lookup(symbols, try b.uvarint(), at: at, path: path)
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
}
