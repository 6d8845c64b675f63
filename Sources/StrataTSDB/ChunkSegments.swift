#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A chunk reference as stored in the index: `(segment index << 32) | byte offset`.
public typealias ChunkRef = UInt64

/// Where a chunk lives and the closed time range of its samples.
public struct ChunkMeta: Sendable, Equatable {
    public var ref: ChunkRef
    public var minTime: Int64
    public var maxTime: Int64

    public init(ref: ChunkRef, minTime: Int64, maxTime: Int64) {
        self.ref = ref
        self.minTime = minTime
        self.maxTime = maxTime
    }
}

public enum SegmentFormat {
    public static let magic: UInt32 = 0x85BD_40DD
    public static let headerSize = 8
    public static let defaultMaxSize = 512 * 1024 * 1024

    public static func name(_ index: Int) -> String {
        let s = String(index + 1)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}

/// Writes chunk records into `chunks/000001`, `000002`, ... and hands out their refs.
public final class ChunkSegmentWriter {
    public let dir: String
    private let maxSize: Int
    private var file: FileWriter?
    private var segment = -1
    public private(set) var segmentSizes: [Int] = []

    public init(dir: String, maxSegmentSize: Int = SegmentFormat.defaultMaxSize) throws {
        self.dir = dir
        self.maxSize = maxSegmentSize
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw TSDBError.io(path: dir, errno: errno) }
    }

    /// Appends one chunk record and returns its ref. A chunk never spans two segments.
    public func write(encoding: ChunkEncoding, data: [UInt8]) throws -> ChunkRef {
        try write(encodingByte: encoding.rawValue, data: data)
    }

    /// Appends one chunk record with any encoding byte (a chunk copied through unread).
    public func write(encodingByte: UInt8, data: [UInt8]) throws -> ChunkRef {
        let need = 5 + 1 + data.count + 4
        if file == nil || (file!.offset + need > maxSize && file!.offset > SegmentFormat.headerSize) {
            try cut()
        }
        let f = file!
        let off = f.offset
        var w = ByteWriter(capacity: data.count + 16)
        w.uvarint(UInt64(data.count))
        let crcStart = w.count
        w.u8(encodingByte)
        w.append(data)
        w.be32(w.crc32(from: crcStart, to: w.count))
        try f.write(w.bytes)
        return (UInt64(segment) << 32) | UInt64(off)
    }

    private func cut() throws {
        if let f = file {
            segmentSizes.append(f.offset)
            try f.close()
        }
        segment += 1
        let f = try FileWriter(path: dir + "/" + SegmentFormat.name(segment))
        var h = ByteWriter()
        h.be32(SegmentFormat.magic)
        h.u8(1)
        h.append([0, 0, 0])
        try f.write(h.bytes)
        file = f
    }

    /// Closes the last segment. Returns the segment file names written.
    @discardableResult
    public func close() throws -> [String] {
        if let f = file {
            segmentSizes.append(f.offset)
            try f.close()
            file = nil
        }
        return (0..<segmentSizes.count).map(SegmentFormat.name)
    }
}

/// Reads chunks from a block's mmap'd segment files, checking headers and record CRCs.
public final class ChunkSegmentReader: @unchecked Sendable {
    public let dir: String
    public let segments: [MappedFile]

    public init(dir: String) throws {
        self.dir = dir
        guard let d = opendir(dir) else { throw TSDBError.io(path: dir, errno: errno) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.count == 6, name.allSatisfy(\.isNumber) { names.append(name) }
        }
        closedir(d)
        names.sort()
        var segs: [MappedFile] = []
        for (i, n) in names.enumerated() {
            guard Int(n) == i + 1 else {
                throw TSDBError.corrupt(path: dir, offset: 0, "chunk segments not sequential: expected \(SegmentFormat.name(i)), found \(n)")
            }
            let m = try MappedFile(path: dir + "/" + n)
            guard m.count >= SegmentFormat.headerSize else {
                throw TSDBError.corrupt(path: m.path, offset: 0, "segment shorter than its 8-byte header")
            }
            var r = ByteReader(m.buffer)
            let magic = try r.be32()
            guard magic == SegmentFormat.magic else {
                throw TSDBError.corrupt(path: m.path, offset: 0, "invalid magic number \(String(magic, radix: 16))")
            }
            let v = try r.u8()
            guard v == 1 else { throw TSDBError.corrupt(path: m.path, offset: 4, "unsupported segment version \(v)") }
            segs.append(m)
        }
        segments = segs
    }

    /// The record at `ref`: its encoding byte and data, borrowed from the mapping (valid as
    /// long as this reader lives).
    public func chunk(_ ref: ChunkRef, checkCRC: Bool = true) throws -> (encoding: UInt8, data: UnsafeRawBufferPointer) {
        let seg = Int(ref >> 32)
        let off = Int(ref & 0xFFFF_FFFF)
        guard seg < segments.count else {
            throw TSDBError.corrupt(path: dir, offset: off, "chunk reference points to segment \(SegmentFormat.name(seg)) which does not exist")
        }
        let m = segments[seg]
        guard off >= SegmentFormat.headerSize, off < m.count else {
            throw TSDBError.corrupt(path: m.path, offset: off, "chunk reference past the end of the segment (size \(m.count))")
        }
        var r = ByteReader(m.buffer, pos: off)
        do {
            let n = try r.uvarintInt()
            let start = r.pos
            guard start + 1 + n + 4 <= m.count else {
                throw TSDBError.corrupt(path: m.path, offset: off, "chunk of \(n) bytes runs past the end of the segment (size \(m.count))")
            }
            let enc = m.buffer[start]
            let data = UnsafeRawBufferPointer(rebasing: m.buffer[(start + 1)..<(start + 1 + n)])
            if checkCRC {
                var cr = ByteReader(m.buffer, pos: start + 1 + n)
                let want = try cr.be32()
                let got = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: m.buffer[start..<(start + 1 + n)]))
                guard want == got else {
                    throw TSDBError.corrupt(path: m.path, offset: off, "chunk checksum mismatch (stored \(hex32(want)), computed \(hex32(got)))")
                }
            }
            return (enc, data)
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: m.path)
        }
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
