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
        var rounds = Rounds(buffers, level: level, piecesPerRound: .max)
        var out: [UInt8] = []
        while let bytes = rounds.next() { out += bytes }
        return out
    }

    /// The same gzip stream as `compress`, a round of pieces (one piece a core) at a time:
    /// written as they come, the client unpacks a round while the next is compressed, as it
    /// reads an answer streamed while it is written, instead of waiting for all of it first.
    /// The first round carries the header, the last the trailer.
    public struct Rounds: Sendable {
        let buffers: [ByteBuffer]
        let level: Int32
        let piecesPerRound: Int
        /// Work items: up to `pieceSize` bytes of one buffer; the dictionary is the 32 KiB
        /// before it, from the previous buffer when it starts one (at most that buffer's bytes).
        let work: [(buffer: Int, range: Range<Int>)]
        var position = 0
        var crc: UInt = 0
        var total = 0

        public init(_ buffers: [ByteBuffer], level: Int32 = defaultLevel, piecesPerRound: Int) {
            self.buffers = buffers
            self.level = level
            self.piecesPerRound = max(1, piecesPerRound)
            var items: [(buffer: Int, range: Range<Int>)] = []
            for (b, buffer) in buffers.enumerated() {
                for start in stride(from: 0, to: buffer.readableBytes, by: pieceSize) {
                    items.append((b, start..<min(buffer.readableBytes, start + pieceSize)))
                }
            }
            work = items.isEmpty ? [(0, 0..<0)] : items
        }

        /// Whether the last round was given.
        public var isDone: Bool { position >= work.count }

        /// The next round's bytes; nil after the last.
        public mutating func next() -> [UInt8]? {
            guard position < work.count else { return nil }
            let first = position, end = position + min(piecesPerRound, work.count - position)
            let work = self.work, buffers = self.buffers, level = self.level
            let parts = concurrentMap(end - first) { k -> (bytes: [UInt8], crc: UInt, count: Int) in
                let i = first + k
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
            var out: [UInt8] = first == 0 ? [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level == 1 ? 4 : 0, 3] : []
            out.reserveCapacity(out.count + parts.reduce(0) { $0 + $1.bytes.count } + 8)
            for (k, part) in parts.enumerated() {
                out.append(contentsOf: part.bytes)
                crc = first + k == 0 ? part.crc : crc32_combine(crc, part.crc, off_t(part.count))
                total += part.count
            }
            if end == work.count {
                for v in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: total)] {
                    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
                }
            }
            position = end
            return out
        }
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
