/// The label offset table and the label indices it points at: for each label name, the
/// section listing its values as symbol references. Prometheus still writes them though its
/// readers use the postings offset table instead (as Strata's do); `BlockVerifier` checks
/// that they decode and that their checksums hold.
public enum LabelIndexTable {
    /// One table entry: the label names of an index (always one in index v2) and the offset
    /// of its section.
    public struct Entry: Sendable, Equatable {
        public var names: [String]
        public var offset: Int
    }

    /// Decodes the table body `be32 n | n × (uvarint #names | names | uvarint offset)`.
    public static func decode(_ body: ByteReader, path: String) throws -> [Entry] {
        var r = body
        do {
            let n = Int(try r.be32())
            var out: [Entry] = []
            out.reserveCapacity(min(n, r.remaining))
            for _ in 0..<n {
                let k = try r.uvarintInt()
                var names: [String] = []
                for _ in 0..<k { names.append(try r.ustr()) }
                out.append(Entry(names: names, offset: try r.uvarintInt()))
            }
            return out
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }

    /// The entries of a label index section body `be32 #names | be32 n | n × #names ×
    /// be32 symbol ref`, resolved through `symbols`: one value per name each (Prometheus
    /// writes one name per index, so one value per entry).
    public static func entries(_ body: ByteReader, symbols: [String], path: String) throws -> [[String]] {
        var r = body
        do {
            let k = Int(try r.be32())
            let n = Int(try r.be32())
            guard n == 0 || (k > 0 && k * 4 <= r.remaining / n) else {
                throw TSDBError.corrupt(path: path, offset: body.fileOffset, "label index of \(n) entries of \(k) names does not fit its section")
            }
            var out: [[String]] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                var entry: [String] = []
                entry.reserveCapacity(k)
                for _ in 0..<k {
                    let at = r.fileOffset + r.pos
                    entry.append(try IndexSymbols.lookup(symbols, UInt64(try r.be32()), at: at, path: path))
                }
                out.append(entry)
            }
            return out
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }
}
