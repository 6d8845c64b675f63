import Logging
import StrataCore
import StrataObjStore

/// Deletes a block in the order that keeps every intermediate state safe (Thanos'
/// `block.Delete`): meta.json first, so readers stop loading the block; then its data; the
/// deletion mark last, so an interrupted deletion is still recognised and finished later.
public struct BlockDeleter: Sendable {
    public let bucket: any Bucket
    public let logger: Logger

    public init(bucket: any Bucket, logger: Logger = Logger(label: "block.delete")) {
        self.bucket = bucket
        self.logger = logger
    }

    public func delete(_ id: ULID) async throws {
        try await bucket.deleteIfExists(BlockLayout.metaKey(id))
        let deletionMark = BlockLayout.markerKey(id, .deletion)
        var names: [String] = []
        try await bucket.iterate(prefix: id.description, recursive: true) { names.append($0); return true }
        for name in names where name != deletionMark {
            try await bucket.deleteIfExists(name)
        }
        try await bucket.deleteIfExists(deletionMark)
        logger.info("deleted block", metadata: ["block": "\(id)", "objects": "\(names.count)"])
    }
}
