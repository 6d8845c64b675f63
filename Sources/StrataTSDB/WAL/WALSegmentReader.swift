/// Reads the records of one WAL segment (`wlog.Reader` semantics): fragments are checked
/// (CRC, length, fragment order, zero padding up to the page end) and joined, and snappy
/// records are decompressed. A segment that simply ends — after a complete record or at a
/// page boundary — ends cleanly; anything else is a `WALCorruption` that names the offset of
/// the first fragment of the record that could not be read, so the segment can be cut there
/// without losing a record before it.
///
/// Segments are read one at a time, as Prometheus replays them: a segment left with a partial
/// last page by a crash does not shift the page arithmetic of the next one.
public struct WALSegmentReader {
    public let path: String
    public let segment: Int
    private let file: MappedFile
    private var pos = 0
    /// Offset of the first fragment of the record last returned.
    public private(set) var recordOffset = 0
    /// The record last returned by `next()`; reused between calls.
    public private(set) var record: [UInt8] = []
    private var compressed: [UInt8] = []

    public init(path: String, segment: Int) throws {
        self.path = path
        self.segment = segment
        file = try MappedFile(path: path)
    }

    /// Where reading stopped: the end of the last record returned (or of the padding after
    /// it). A repair keeps the segment up to here.
    public var offset: Int { pos }
    public var size: Int { file.count }

    /// Advances to the next record (then in `record`); false at a clean end of the segment.
    public mutating func next() throws(WALCorruption) -> Bool {
        let buf = file.buffer
        let n = buf.count
        let page = WALFormat.pageSize
        record.removeAll(keepingCapacity: true)
        compressed.removeAll(keepingCapacity: true)
        var fragments = 0
        var start = pos
        var p = pos
        var isCompressed = false
        let path = self.path, segment = self.segment
        func fail(_ why: String) -> WALCorruption {
            WALCorruption(path: path, segment: segment, offset: fragments > 0 ? start : p, reason: why)
        }
        while true {
            if p >= n {
                if fragments > 0 { throw fail("last record is torn") }
                pos = p
                return false
            }
            let header = buf[p]
            let rawType = header & WALFormat.typeMask
            if rawType == WALFormat.FragmentType.pageTerm.rawValue {
                // The rest of the page must be zeros, up to the page boundary.
                let pageEnd = (p / page + 1) * page
                guard pageEnd <= n else { throw fail("page padding ends before the page does") }
                for k in (p + 1)..<pageEnd where buf[k] != 0 {
                    throw fail("unexpected non-zero byte at \(k) in padded page")
                }
                p = pageEnd
                continue
            }
            guard let type = WALFormat.FragmentType(rawValue: rawType) else { throw fail("invalid fragment type \(rawType)") }
            guard p + WALFormat.fragmentHeaderSize <= n else { throw fail("fragment header is torn") }
            let length = Int(buf[p + 1]) << 8 | Int(buf[p + 2])
            let crc = UInt32(buf[p + 3]) << 24 | UInt32(buf[p + 4]) << 16 | UInt32(buf[p + 5]) << 8 | UInt32(buf[p + 6])
            guard length <= page - WALFormat.fragmentHeaderSize else { throw fail("invalid fragment size \(length)") }
            let dataStart = p + WALFormat.fragmentHeaderSize
            guard dataStart + length <= n else { throw fail("fragment data is torn") }
            let data = UnsafeRawBufferPointer(rebasing: buf[dataStart..<(dataStart + length)])
            guard CRC32C.checksum(data) == crc else { throw fail("fragment checksum mismatch") }
            switch (type, fragments) {
            case (.full, 0), (.first, 0): break
            case (.middle, 1...), (.last, 1...): break
            default: throw fail("\(type) fragment after \(fragments) fragments of a record")
            }
            if header & WALFormat.zstdFlag != 0 {
                throw fail("zstd-compressed record (Prometheus 3 --storage.tsdb.wal-compression-type=zstd), which Strata does not read")
            }
            if fragments == 0 {
                start = p
                isCompressed = header & WALFormat.snappyFlag != 0
            }
            if isCompressed { compressed.append(contentsOf: data) } else { record.append(contentsOf: data) }
            p = dataStart + length
            fragments += 1
            if type == .full || type == .last {
                if isCompressed {
                    do {
                        record = try Snappy.decompress(compressed, limit: 1 << 30)
                    } catch {
                        throw WALCorruption(path: path, segment: segment, offset: start, reason: "\(error)")
                    }
                }
                recordOffset = start
                pos = p
                return true
            }
        }
    }
}
