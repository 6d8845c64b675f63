#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prometheus's write-ahead log layout (`tsdb/wlog`, `tsdb/docs/format/wal.md`), which
/// Strata writes and reads unchanged so that `promtool tsdb dump` and a real Prometheus read
/// a Strata data dir, and Strata reads theirs.
///
/// A WAL is a directory of segments named by 8-digit sequence numbers (`00000000`, ...),
/// each at most `defaultSegmentSize` bytes, written in 32 KiB pages. A record is cut into
/// fragments so that no fragment crosses a page; each fragment is
/// `type <1 byte> | length <2 bytes BE> | CRC32-Castagnoli of data <4 bytes BE> | data`.
/// Records never cross segments, so whole segments can be deleted once what they hold is
/// in a block or a checkpoint (`checkpoint.NNNNNNNN/`, itself a WAL directory).
public enum WALFormat {
    public static let pageSize = 32 * 1024
    /// type + length + CRC.
    public static let fragmentHeaderSize = 7
    /// 128 MiB, as Prometheus.
    public static let defaultSegmentSize = 128 * 1024 * 1024
    public static let checkpointPrefix = "checkpoint."

    /// Low 3 bits of a fragment's first byte.
    public enum FragmentType: UInt8, Sendable {
        /// The rest of the page is zeros (a page closed early, or the tail of a segment).
        case pageTerm = 0
        case full = 1
        case first = 2
        case middle = 3
        case last = 4
    }

    static let typeMask: UInt8 = 0b111
    /// Bit 3: the fragment data is part of a snappy-compressed record (Prometheus's default
    /// since 2.20 for its own WAL, so records of a real Prometheus need it to be read).
    static let snappyFlag: UInt8 = 1 << 3
    /// Bit 4: zstd, Prometheus 3.x. Strata does not read it; such a record is reported as
    /// unsupported instead of being misread.
    static let zstdFlag: UInt8 = 1 << 4

    /// `dir/00000042`.
    public static func segmentPath(_ dir: String, _ index: Int) -> String {
        dir + "/" + segmentName(index)
    }

    public static func segmentName(_ index: Int) -> String {
        let s = String(index)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// Segment numbers in `dir`, ascending. Names that are not all digits are ignored (as
    /// Prometheus does: `checkpoint.*`, temp files); a gap in the sequence is an error,
    /// because a reader could not tell which records are missing.
    public static func segments(in dir: String) throws -> [Int] {
        var out: [Int] = []
        for name in try listDirectory(dir) where !name.isEmpty && name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            if let i = Int(name) { out.append(i) }
        }
        out.sort()
        for k in out.indices.dropFirst() where out[k] != out[k - 1] + 1 {
            throw TSDBError.corrupt(path: dir, offset: 0, "WAL segments are not sequential: \(segmentName(out[k - 1])) is followed by \(segmentName(out[k]))")
        }
        return out
    }

    /// Checkpoint directories in `dir` as (index, path), ascending by index.
    public static func checkpoints(in dir: String) throws -> [(index: Int, path: String)] {
        var out: [(Int, String)] = []
        for name in try listDirectory(dir) where name.hasPrefix(checkpointPrefix) {
            let digits = name.dropFirst(checkpointPrefix.count)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let i = Int(digits) else { continue }
            let path = dir + "/" + name
            guard isDirectory(path) else { throw TSDBError.corrupt(path: path, offset: 0, "checkpoint is not a directory") }
            out.append((i, path))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// `dir/checkpoint.00000042`.
    public static func checkpointPath(_ dir: String, _ index: Int) -> String {
        dir + "/" + checkpointPrefix + segmentName(index)
    }
}

/// A record the reader could not read: where it starts, so the WAL can be cut there.
public struct WALCorruption: Error, CustomStringConvertible, Sendable {
    /// The segment file.
    public let path: String
    public let segment: Int
    /// Offset in the segment of the first fragment of the record that could not be read:
    /// everything before it is intact.
    public let offset: Int
    public let reason: String

    public var description: String { "\(path): WAL corruption at offset \(offset): \(reason)" }
}
