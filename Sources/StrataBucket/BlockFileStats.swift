import Crypto
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

    /// Hex SHA-256 of a file, read through a memory map (page cache, not heap).
    public static func sha256(path: String) throws -> String {
        if try fileSize(path) == 0 { return hex(SHA256.hash(data: [UInt8]())) }
        let m = try MappedFile(path: path)
        var h = SHA256()
        h.update(bufferPointer: m.buffer)
        return hex(h.finalize())
    }

    static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        d.map { String(format: "%02x", $0) }.joined()
    }
}
