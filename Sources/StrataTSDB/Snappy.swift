import CSnappy

/// Snappy block format (not framed), as Prometheus remote read uses for request and
/// SAMPLES response bodies and its WAL for compressed records (so it lives with the WAL).
public enum Snappy {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var outLen = snappy_max_compressed_length(input.count)
        var out = [UInt8](repeating: 0, count: outLen)
        let status = input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                i.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, i.count)) { ip in
                    o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: o.count) { op in
                        snappy_compress(ip, i.count, op, &outLen)
                    }
                }
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress failed on a buffer of its own max size")
        out.removeLast(out.count - outLen)
        return out
    }

    /// The length `input` decompresses to, read from its header (nil when it has none): a
    /// server reserves memory for a request before decompressing it.
    public static func uncompressedLength(_ input: [UInt8]) -> Int? {
        var n = 0
        let ok = input.withUnsafeBufferPointer { i in
            i.baseAddress.map { b in
                b.withMemoryRebound(to: CChar.self, capacity: i.count) { snappy_uncompressed_length($0, i.count, &n) }
            } ?? SNAPPY_INVALID_INPUT
        }
        return ok == SNAPPY_OK ? n : nil
    }

    /// Decompresses, refusing outputs above `limit` bytes (a hostile length prefix must not
    /// allocate gigabytes).
    public static func decompress(_ input: [UInt8], limit: Int = 512 << 20) throws -> [UInt8] {
        guard let n = uncompressedLength(input) else { throw Error(description: "invalid snappy data") }
        guard n <= limit else { throw Error(description: "snappy data expands to \(n) bytes, over the \(limit)-byte limit") }
        var out = [UInt8](repeating: 0, count: max(n, 1))
        var outLen = n
        let status = input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                i.baseAddress!.withMemoryRebound(to: CChar.self, capacity: i.count) { ip in
                    o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: o.count) { op in
                        snappy_uncompress(ip, i.count, op, &outLen)
                    }
                }
            }
        }
        guard status == SNAPPY_OK else { throw Error(description: "invalid snappy data") }
        out.removeLast(out.count - outLen)
        return out
    }
}
