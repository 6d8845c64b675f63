import Foundation
import StrataCore
import StrataObjStore
import StrataTSDB

/// Reading and writing Thanos markers (`deletion-mark.json`, `no-compact-mark.json`, ...)
/// in the bucket.
public struct BlockMarkers: Sendable {
    public let bucket: any Bucket

    public init(bucket: any Bucket) { self.bucket = bucket }

    /// Marks a block. Returns false (and changes nothing) when the marker already exists, so
    /// the first deletion time stays authoritative; the block's meta.json must exist.
    @discardableResult
    public func mark(_ id: ULID, _ kind: MarkerKind, details: String = "", reason: String = "manual",
                     now: Date = Date()) async throws -> Bool {
        guard try await bucket.exists(BlockLayout.metaKey(id)) else { throw BlockBucketError.partialBlock(id) }
        let marker = BlockMarker(kind: kind, id: id, time: Int64(now.timeIntervalSince1970), details: details, reason: reason)
        return try await bucket.putIfAbsent(BlockLayout.markerKey(id, kind), body: .bytes(marker.encoded))
    }

    /// The marker, or nil when the block has none.
    public func read(_ id: ULID, _ kind: MarkerKind) async throws -> BlockMarker? {
        do {
            let bytes = try await bucket.getBytes(BlockLayout.markerKey(id, kind))
            return try BlockMarker(kind: kind, json: bytes)
        } catch BucketError.notFound {
            return nil
        }
    }

    /// Removes a marker (e.g. `no-compact` after fixing a block); missing is fine.
    public func unmark(_ id: ULID, _ kind: MarkerKind) async throws {
        try await bucket.deleteIfExists(BlockLayout.markerKey(id, kind))
    }
}
