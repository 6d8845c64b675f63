import CZlib
import Foundation
import NIOCore
import StrataCore

/// gzip (RFC 1952) of a whole answer, for HTTP. Large answers are compressed in
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

    /// The gzip stream of `buffers` concatenated (an answer written in pieces).
    public static func compress(_ buffers: [ByteBuffer], level: Int32 = defaultLevel) -> [UInt8] {
        // Work items: up to `pieceSize` bytes of one buffer; the dictionary is the 32 KiB
        // before it, from the previous buffer when it starts one (at most that buffer's bytes).
        var items: [(buffer: Int, range: Range<Int>)] = []
        for (b, buffer) in buffers.enumerated() {
            for start in stride(from: 0, to: buffer.readableBytes, by: pieceSize) {
                items.append((b, start..<min(buffer.readableBytes, start + pieceSize)))
            }
        }
        if items.isEmpty { items.append((0, 0..<0)) }
        let work = items
        let parts = concurrentMap(work.count) { i -> (bytes: [UInt8], crc: UInt, count: Int) in
            let (b, range) = work[i]
            let last = i == work.count - 1
            return bytes(of: buffers, b) { all in
                let piece = UnsafeRawBufferPointer(rebasing: all[range])
                let crc = checksum(piece)
                if range.lowerBound > 0 || b == 0 {
                    let dictionary = UnsafeRawBufferPointer(rebasing: all[max(0, range.lowerBound - window)..<range.lowerBound])
                    return (deflatePiece(piece, dictionary: dictionary, last: last, level: level), crc, piece.count)
                }
                return bytes(of: buffers, b - 1) { previous in
                    let dictionary = UnsafeRawBufferPointer(rebasing: previous[max(0, previous.count - window)...])
                    return (deflatePiece(piece, dictionary: dictionary, last: last, level: level), crc, piece.count)
                }
            }
        }
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level == 1 ? 4 : 0, 3]
        out.reserveCapacity(10 + parts.reduce(0) { $0 + $1.bytes.count } + 8)
        var crc = parts[0].crc, total = 0
        for (k, part) in parts.enumerated() {
            out.append(contentsOf: part.bytes)
            if k > 0 { crc = crc32_combine(crc, part.crc, off_t(part.count)) }
            total += part.count
        }
        for v in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: total)] {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// The readable bytes of `buffers[index]` (none for an empty list).
    static func bytes<T>(of buffers: [ByteBuffer], _ index: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        index < buffers.count ? buffers[index].withUnsafeReadableBytes(body) : body(UnsafeRawBufferPointer(start: nil, count: 0))
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
