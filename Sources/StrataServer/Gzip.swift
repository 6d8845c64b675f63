import CZlib
import Foundation
import StrataCore

/// gzip (RFC 1952) of a whole buffer, for HTTP answers. Large answers are compressed in
/// pieces on all cores, as pigz does: each piece is a raw deflate stream primed with the 32 KiB
/// before it (so the ratio is nearly that of one stream) and ended on a byte boundary by a sync
/// flush, the last one by the final block; the pieces concatenated are one deflate stream,
/// under one header and one trailer whose CRC-32 is combined from the pieces'. Any gzip reader
/// reads it; a 16 MB answer costs its 2 cores' share of the time one stream would.
public enum Gzip {
    /// Level 1: JSON still shrinks 6–10×, at several times the speed of the default level 6;
    /// an answer is compressed once per request, on the query's own time.
    public static let defaultLevel: Int32 = 1
    static let pieceSize = 256 << 10
    static let window = 32 << 10

    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) -> [UInt8] {
        let n = input.count
        let pieces = max(1, (n + pieceSize - 1) / pieceSize)
        let shared = UncheckedSendable(input)
        let parts = concurrentMap(pieces) { i -> (bytes: [UInt8], crc: UInt, count: Int) in
            let all = shared.value
            let start = i * pieceSize, end = min(n, start + pieceSize)
            let dictionary = UnsafeRawBufferPointer(rebasing: all[max(0, start - window)..<start])
            let piece = UnsafeRawBufferPointer(rebasing: all[start..<end])
            return (deflatePiece(piece, dictionary: dictionary, last: i == pieces - 1, level: level),
                    checksum(piece), piece.count)
        }
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level == 1 ? 4 : 0, 3]
        out.reserveCapacity(10 + parts.reduce(0) { $0 + $1.bytes.count } + 8)
        var crc = parts[0].crc
        for (k, part) in parts.enumerated() {
            out.append(contentsOf: part.bytes)
            if k > 0 { crc = crc32_combine(crc, part.crc, off_t(part.count)) }
        }
        for v in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: n)] {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt {
        guard let base = bytes.baseAddress else { return crc32(0, nil, 0) }
        return crc32(0, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
    }

    /// One raw deflate piece: a sync flush ends it on a byte boundary so the next piece can
    /// follow; the last one carries the final block.
    static func deflatePiece(_ piece: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer,
                             last: Bool, level: Int32) -> [UInt8] {
        var stream = z_stream()
        // Fails only without memory or on a bad level, neither of which a caller can mend.
        precondition(strata_deflate_init_raw(&stream, level) == Z_OK, "zlib deflateInit2 failed")
        defer { deflateEnd(&stream) }
        if let d = dictionary.baseAddress, !dictionary.isEmpty {
            deflateSetDictionary(&stream, d.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(piece.count))) + 16)
        var written = 0
        stream.next_in = piece.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.avail_in = uInt(piece.count)
        let flush = last ? Z_FINISH : Z_SYNC_FLUSH
        while true {
            if written == out.count { out.append(contentsOf: repeatElement(0, count: out.count / 2 + 64)) }
            let status = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.next_out = buffer.baseAddress! + written
                stream.avail_out = uInt(buffer.count - written)
                let status = deflate(&stream, flush)
                written = buffer.count - Int(stream.avail_out)
                return status
            }
            // Done when all input is in and the flush left output room to spare (a full
            // buffer may hide more of it), or the final block is out.
            if status == Z_STREAM_END || (!last && stream.avail_in == 0 && stream.avail_out > 0) { break }
            precondition(status == Z_OK || status == Z_BUF_ERROR, "zlib deflate failed: \(status)")
        }
        out.removeLast(out.count - written)
        return out
    }

    /// Whether an `Accept-Encoding` value admits gzip: `gzip`, `x-gzip` or `*`, not refused
    /// with `q=0` (RFC 9110 §12.5.3).
    public static func isAccepted(by header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Bool?, any: Bool?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            let name = parts.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            let refused = parts.dropFirst().contains { p in
                let kv = p.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return kv.count == 2 && kv[0].lowercased() == "q" && (Double(kv[1]) ?? 1) == 0
            }
            if name == "gzip" || name == "x-gzip" { gzip = (gzip ?? false) || !refused }
            if name == "*" { any = !refused }
        }
        // A named gzip wins over `*` either way.
        return gzip ?? any ?? false
    }
}
