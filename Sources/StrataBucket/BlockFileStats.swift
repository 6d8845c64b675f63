import Crypto
#if canImport(Glibc)
import Glibc
#endif
import StrataTSDB

/// `thanos.files` for a local block, as Thanos' `GatherFileStats` builds it: every file in
/// `chunks/` and `index` with size (and SHA-256 when asked), plus `meta.json` without a size
/// (meta.json changes when the section is written), sorted by path.
public enum BlockFileStats {
    public static func gather(blockDir: String, hash: Bool) throws -> [ThanosFile] {
        var files: [ThanosFile] = []
        let chunks = blockDir + "/" + BlockLayout.chunksDir
        guard isDirectory(chunks) else {
            throw BlockBucketError.invalidBlockDirectory(path: blockDir, reason: "no chunks/ directory")
        }
        for name in try listDirectory(chunks) where !isDirectory(chunks + "/" + name) {
            files.append(try stat(blockDir, rel: BlockLayout.chunksDir + "/" + name, hash: hash))
        }
        guard fileExists(blockDir + "/" + BlockLayout.index) else {
            throw BlockBucketError.invalidBlockDirectory(path: blockDir, reason: "no index file")
        }
        files.append(try stat(blockDir, rel: BlockLayout.index, hash: hash))
        files.append(ThanosFile(relPath: BlockLayout.meta, sizeBytes: nil))
        return files.sorted { $0.relPath < $1.relPath }
    }

    static func stat(_ dir: String, rel: String, hash: Bool) throws -> ThanosFile {
        let path = dir + "/" + rel
        return ThanosFile(relPath: rel, sizeBytes: try fileSize(path), sha256: hash ? try sha256(path: path) : nil)
    }

    /// Hex SHA-256 of a file, read in 1 MiB pieces: resident memory stays flat however large
    /// the file (a memory map would count the whole file as resident while hashing).
    public static func sha256(path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TSDBError.io(path: path, errno: errno) }
        defer { close(fd) }
        var h = SHA256()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TSDBError.io(path: path, errno: errno)
            }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hex(h.finalize())
    }

    static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        d.map { String(format: "%02x", $0) }.joined()
    }
}
