import Foundation
import StrataCore
import StrataObjStore

/// Finds abandoned partial uploads: block directories without meta.json whose newest object
/// was written longer ago than a threshold (Thanos: 48h). Age is the objects' write time,
/// not the ULID's: an old block being uploaded right now (a backfill) is not abandoned.
/// A partial block that still has a deletion mark is an interrupted deletion and is due at once.
public struct PartialUploads: Sendable {
    public let bucket: any Bucket

    public init(bucket: any Bucket) { self.bucket = bucket }

    /// The partial blocks of `ids` that are due for removal, with the reason.
    public func abandoned(_ ids: [ULID], olderThanMs threshold: Int64, now: Date = Date()) async throws -> [(ULID, String)] {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        var out: [(ULID, String)] = []
        for id in ids {
            var names: [String] = []
            try await bucket.iterate(prefix: id.description, recursive: true) { names.append($0); return true }
            if names.contains(BlockLayout.markerKey(id, .deletion)) {
                out.append((id, "deletion interrupted (meta.json already gone)"))
                continue
            }
            var newest: Int64 = 0
            for n in names {
                if let a = try? await bucket.attributes(n) {
                    newest = max(newest, Int64(a.lastModified.timeIntervalSince1970 * 1000))
                }
            }
            if nowMs - newest >= threshold {
                out.append((id, "partial upload, last written \(formatRFC3339(newest))"))
            }
        }
        return out
    }
}
