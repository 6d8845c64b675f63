/// The symbol table: every label name and value of the index once, sorted; series entries
/// and label indices refer to them by ordinal.
public enum IndexSymbols {
    /// Decodes the section body `be32 n | n × (uvarint len | bytes)`.
    public static func decode(_ body: ByteReader, path: String) throws -> [String] {
        var r = body
        do {
            let n = Int(try r.be32())
            var syms: [String] = []
            syms.reserveCapacity(min(n, r.remaining))
            for _ in 0..<n { syms.append(try r.ustr()) }
            return syms
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }

    /// The symbol with ordinal `ref`; `offset` (where the reference was read) names the
    /// corrupt spot when it is out of range.
    @inline(__always)
    public static func lookup(_ symbols: [String], _ ref: UInt64, at offset: Int, path: String) throws -> String {
        guard ref < UInt64(symbols.count) else {
            throw TSDBError.corrupt(path: path, offset: offset, "symbol reference \(ref) out of range (\(symbols.count) symbols)")
        }
        return symbols[Int(ref)]
    }
}
