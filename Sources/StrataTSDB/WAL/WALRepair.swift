#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Repairs a WAL after a replay met a record it could not read (`wlog.WL.Repair`): the
/// corrupt segment keeps every record before the damage, is cut at the first fragment of
/// the unreadable record and zero-padded to its page end; every later segment is deleted,
/// since records after a hole cannot be trusted to make sense (a sample may refer to a
/// series record that was lost). A crash mid-write leaves exactly such a torn tail; after
/// the repair Prometheus's reader (and `promtool tsdb dump`) reads the WAL again.
///
/// Prometheus rewrites the segment's intact records into a fresh file; cutting the file
/// gives the same records, since nothing before the cut changes.
public enum WALRepair {
    public static func repair(walDir: String, _ c: WALCorruption) throws {
        let segs = try WALFormat.segments(in: walDir)
        for s in segs where s > c.segment {
            let p = WALFormat.segmentPath(walDir, s)
            guard unlink(p) == 0 else { throw TSDBError.io(path: p, errno: errno) }
        }
        let path = WALFormat.segmentPath(walDir, c.segment)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TSDBError.io(path: path, errno: errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(c.offset)) == 0 else { throw TSDBError.io(path: path, errno: errno) }
        let pad = (WALFormat.pageSize - c.offset % WALFormat.pageSize) % WALFormat.pageSize
        if pad > 0 {
            let zeros = [UInt8](repeating: 0, count: pad)
            let n = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress!, pad, off_t(c.offset)) }
            guard n == pad else { throw TSDBError.io(path: path, errno: errno) }
        }
        guard fsync(fd) == 0 else { throw TSDBError.io(path: path, errno: errno) }
        syncDirectory(walDir)
    }
}
