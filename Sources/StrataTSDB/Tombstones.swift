/// A closed time interval `[minTime, maxTime]` in ms.
public struct TimeInterval: Sendable, Equatable, Hashable {
    public var minTime: Int64
    public var maxTime: Int64
    public init(_ minTime: Int64, _ maxTime: Int64) {
        self.minTime = minTime
        self.maxTime = maxTime
    }
    @inlinable public func contains(_ t: Int64) -> Bool { t >= minTime && t <= maxTime }
}

/// Deleted intervals per series ID (the `tombstones` file, tsdb-block.md §5).
public struct Tombstones: Sendable, Equatable {
    public static let magic: UInt32 = 0x0130_BA30
    public private(set) var intervals: [UInt32: [TimeInterval]] = [:]

    public init() {}

    public var isEmpty: Bool { intervals.isEmpty }
    public var count: Int { intervals.values.reduce(0) { $0 + $1.count } }

    /// Adds an interval, merging it with overlapping or adjacent ones (as Prometheus does).
    public mutating func add(_ ref: UInt32, _ iv: TimeInterval) {
        var list = intervals[ref] ?? []
        list.append(iv)
        list.sort { $0.minTime < $1.minTime }
        var merged: [TimeInterval] = []
        for x in list {
            if var last = merged.last, x.minTime <= last.maxTime &+ 1 {
                last.maxTime = max(last.maxTime, x.maxTime)
                merged[merged.count - 1] = last
            } else {
                merged.append(x)
            }
        }
        intervals[ref] = merged
    }

    public func get(_ ref: UInt32) -> [TimeInterval] { intervals[ref] ?? [] }

    public var encoded: [UInt8] {
        var w = ByteWriter()
        w.be32(Self.magic)
        w.u8(1)
        let start = w.count
        for ref in intervals.keys.sorted() {
            for iv in intervals[ref]! {
                w.uvarint(UInt64(ref))
                w.varint(iv.minTime)
                w.varint(iv.maxTime)
            }
        }
        w.be32(w.crc32(from: start, to: w.count))
        return w.bytes
    }

    public init(decoding buf: UnsafeRawBufferPointer, path: String) throws {
        guard buf.count >= 5 else { throw TSDBError.corrupt(path: path, offset: 0, "tombstones file too short (\(buf.count) bytes)") }
        do {
            var r = ByteReader(buf)
            let magic = try r.be32()
            guard magic == Self.magic else { throw TSDBError.corrupt(path: path, offset: 0, "invalid magic number \(hex32(magic))") }
            let v = try r.u8()
            guard v == 1 else { throw TSDBError.corrupt(path: path, offset: 4, "unsupported tombstones version \(v)") }
            guard buf.count >= 9 else { throw TSDBError.corrupt(path: path, offset: 5, "tombstones file has no checksum") }
            let body = UnsafeRawBufferPointer(rebasing: buf[5..<(buf.count - 4)])
            var cr = ByteReader(buf, pos: buf.count - 4)
            let want = try cr.be32()
            let got = CRC32C.checksum(body)
            guard want == got else {
                throw TSDBError.corrupt(path: path, offset: buf.count - 4, "tombstones checksum mismatch (stored \(hex32(want)), computed \(hex32(got)))")
            }
            var br = ByteReader(body, fileOffset: 5)
            while !br.isAtEnd {
                let ref = try br.uvarint()
                guard ref <= UInt64(UInt32.max) else { throw DecodeError.invalid(offset: br.pos, "series reference too large") }
                add(UInt32(ref), TimeInterval(try br.varint(), try br.varint()))
            }
        } catch let e as DecodeError {
            throw TSDBError.from(e, path: path)
        }
    }

    public static func read(dir: String) throws -> Tombstones {
        let path = dir + "/tombstones"
        guard fileExists(path) else { return Tombstones() }
        let m = try MappedFile(path: path)
        return try Tombstones(decoding: m.buffer, path: path)
    }
}
