#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataCore

/// Errors from reading or writing blocks. Each names the file and, where it applies, the
/// byte offset, so an operator can find the damage: `index: checksum mismatch at offset 5`.
public enum TSDBError: Error, CustomStringConvertible {
    case io(path: String, errno: Int32)
    case corrupt(path: String, offset: Int, String)
    case notABlock(path: String, String)
    case invalidArgument(String)
    /// A chunk of `series` in `block` has an encoding the call cannot return: histogram
    /// chunks asked for as floats, or an encoding Strata cannot decode at all (XOR2,
    /// start-timestamp histograms, an unknown byte whose CRC holds). The block is fine:
    /// callers fail, skip or copy through that series only.
    case unsupportedEncoding(block: String, series: Labels, encoding: UInt8)

    public var description: String {
        switch self {
        case .io(let p, let e): return "\(p): \(String(cString: strerror(e)))"
        case .corrupt(let p, let o, let m): return "\(p): \(m) (offset \(o))"
        case .notABlock(let p, let m): return "\(p): not a TSDB block: \(m)"
        case .invalidArgument(let m): return m
        case .unsupportedEncoding(let b, let s, let e):
            return "\(b): series \(s) holds \(ChunkEncoding.name(e)) chunks (encoding \(e)), which this reader cannot return"
        }
    }

    /// Wraps a decode error from a reader positioned in `path`.
    static func from(_ e: Error, path: String, base: Int = 0) -> Error {
        if let d = e as? DecodeError {
            switch d {
            case .truncated(let o): return TSDBError.corrupt(path: path, offset: base + o, "unexpected end of data")
            case .badVarint(let o): return TSDBError.corrupt(path: path, offset: base + o, "invalid varint")
            case .invalid(let o, let m): return TSDBError.corrupt(path: path, offset: base + o, m)
            }
        }
        return e
    }
}
