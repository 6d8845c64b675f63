/// Constants and the table of contents of the index file (tsdb-block.md §3).
public enum IndexFormat {
    public static let magic: UInt32 = 0xBAAA_D700
    public static let version: UInt8 = 2
    public static let tocSize = 52
}

/// The index TOC: absolute offsets of each section (0 = absent).
public struct IndexTOC: Sendable, Equatable {
    public var symbols: UInt64 = 0
    public var series: UInt64 = 0
    public var labelIndices: UInt64 = 0
    public var labelIndicesTable: UInt64 = 0
    public var postings: UInt64 = 0
    public var postingsTable: UInt64 = 0

    public init() {}

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: IndexFormat.tocSize)
        for v in [symbols, series, labelIndices, labelIndicesTable, postings, postingsTable] { w.be64(v) }
        w.be32(w.crc32(from: 0, to: w.count))
        return w.bytes
    }
}
