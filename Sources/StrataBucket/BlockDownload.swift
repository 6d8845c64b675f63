import Logging
import StrataCore
import StrataObjStore
import StrataTSDB

/// Downloads a block into `<parent>/<ULID>/` and checks every file against `thanos.files`
/// (size, and SHA-256 where recorded), so a corrupt or truncated object is caught before
/// anything opens it. meta.json is written last, mirroring the upload order: a directory
/// without meta.json is an unfinished download.
public struct BlockDownloader: Sendable {
    public let bucket: any Bucket
    public let logger: Logger

    public init(bucket: any Bucket, logger: Logger = Logger(label: "block.download")) {
        self.bucket = bucket
        self.logger = logger
    }

    @discardableResult
    public func download(_ id: ULID, into parentDir: String,
                         progress: (@Sendable (TransferProgress) -> Void)? = nil) async throws -> BlockMeta {
        let metaBytes: [UInt8]
        do { metaBytes = try await bucket.getBytes(BlockLayout.metaKey(id)) } catch BucketError.notFound {
            throw BlockBucketError.partialBlock(id)
        }
        let meta: BlockMeta
        do { meta = try BlockMeta(json: metaBytes, path: BlockLayout.metaKey(id)) } catch {
            throw BlockBucketError.corruptMeta(id, reason: "\(error)")
        }
        let dir = parentDir + "/" + id.description
        try makeDirectory(parentDir)
        try makeDirectory(dir)
        try makeDirectory(dir + "/" + BlockLayout.chunksDir)

        let expected = Dictionary((meta.thanos?.files ?? []).map { ($0.relPath, $0) }, uniquingKeysWith: { a, _ in a })
        var names: [String] = []
        try await bucket.iterate(prefix: id.description, recursive: true) { names.append($0); return true }
        let prefix = id.description + "/"
        let total = expected.values.reduce(Int64(0)) { $0 + ($1.sizeBytes ?? 0) }
        var done: Int64 = 0
        for name in names {
            let rel = String(name.dropFirst(prefix.count))
            if rel == BlockLayout.meta { continue }
            // Markers and other extras are not part of the block's data.
            guard rel == BlockLayout.index || rel.hasPrefix(BlockLayout.chunksDir + "/") else { continue }
            let path = dir + "/" + rel
            let size = try await bucket.download(name, to: path)
            if let f = expected[rel] {
                if let want = f.sizeBytes, want != size {
                    throw BlockBucketError.fileMismatch(id, file: rel, reason: "size \(size), meta.json says \(want)")
                }
                if let want = f.sha256 {
                    let got = try BlockFileStats.sha256(path: path)
                    if got != want {
                        throw BlockBucketError.fileMismatch(id, file: rel, reason: "SHA-256 \(got), meta.json says \(want)")
                    }
                }
            }
            done += size
            progress?(TransferProgress(block: id, file: rel, bytesDone: done, bytesTotal: total))
        }
        for rel in expected.keys where rel != BlockLayout.meta && !fileExists(dir + "/" + rel) {
            throw BlockBucketError.fileMismatch(id, file: rel, reason: "listed in meta.json but missing in the bucket")
        }
        try writeFileAtomically(dir + "/" + BlockLayout.meta, metaBytes)
        logger.info("downloaded block", metadata: ["block": "\(id)", "dir": "\(dir)"])
        return meta
    }
}
