import Logging
import StrataCore
import StrataObjStore
import StrataTSDB

/// Uploads a local block the way Thanos does, so a half-finished upload is never mistaken
/// for a block: chunks first, then the index, and `meta.json` last — readers treat a
/// block directory without meta.json as partial and ignore it.
public struct BlockUploader: Sendable {
    public let bucket: any Bucket
    public let logger: Logger

    public init(bucket: any Bucket, logger: Logger = Logger(label: "block.upload")) {
        self.bucket = bucket
        self.logger = logger
    }

    /// Uploads `blockDir` (named by its ULID) and returns the meta.json that was uploaded.
    ///
    /// - Parameters:
    ///   - externalLabels: set as `thanos.labels` when the block has none (Prometheus never
    ///     writes them); a block without any labels is refused, like Thanos does, because the
    ///     querier and compactor group blocks by them.
    ///   - source: `thanos.source` when not set yet (`sidecar`, `compactor`, `bucket.upload`).
    ///   - hash: record SHA-256 of each file in `thanos.files` (downloads verify it).
    @discardableResult
    ///   - progress: called after each file with its path in the block and its size, and the
    ///     bytes done and total so far (the tools show it on a terminal).
    public func upload(blockDir: String, externalLabels: [String: String], source: String,
                       hash: Bool = true, progress: (@Sendable (TransferProgress) -> Void)? = nil) async throws -> BlockMeta {
        var dir = blockDir
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        let base = String(dir.split(separator: "/").last ?? "")
        guard let id = try? ULID(parsing: base) else {
            throw BlockBucketError.invalidBlockDirectory(path: dir, reason: "directory name is not a ULID")
        }
        var meta = try BlockMeta.read(dir: dir)
        guard meta.ulid == id else {
            throw BlockBucketError.invalidBlockDirectory(path: dir, reason: "meta.json ulid \(meta.ulid) differs from the directory name")
        }
        var thanos = meta.thanos ?? ThanosMeta(labels: [:], source: source)
        if thanos.labels.isEmpty { thanos.labels = externalLabels }
        if thanos.source.isEmpty { thanos.source = source }
        guard !thanos.labels.isEmpty else {
            throw BlockBucketError.invalidBlockDirectory(path: dir, reason: "no external labels (thanos.labels); pass at least one")
        }
        thanos.files = try BlockFileStats.gather(blockDir: dir, hash: hash)
        meta.thanos = thanos

        let total = thanos.files.reduce(Int64(0)) { $0 + ($1.sizeBytes ?? 0) }
        var done: Int64 = 0
        let dataFiles = thanos.files.filter { $0.relPath.hasPrefix(BlockLayout.chunksDir + "/") }
            + thanos.files.filter { $0.relPath == BlockLayout.index }
        for f in dataFiles {
            try await bucket.put(BlockLayout.key(id, f.relPath), file: dir + "/" + f.relPath)
            done += f.sizeBytes ?? 0
            progress?(TransferProgress(block: id, file: f.relPath, bytesDone: done, bytesTotal: total))
        }
        try await bucket.put(BlockLayout.metaKey(id), bytes: meta.encoded)
        logger.info("uploaded block", metadata: ["block": "\(id)", "files": "\(thanos.files.count)"])
        return meta
    }
}

/// Where a block transfer is, after one more file.
public struct TransferProgress: Sendable {
    public var block: ULID
    public var file: String
    public var bytesDone: Int64
    public var bytesTotal: Int64
}
