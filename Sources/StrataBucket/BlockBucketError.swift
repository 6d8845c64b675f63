import StrataCore

/// Errors of block-level bucket operations; each names the block and says what is wrong.
public enum BlockBucketError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A local directory that cannot be uploaded as it is.
    case invalidBlockDirectory(path: String, reason: String)
    /// A block in the bucket without meta.json: still uploading, or an upload that died.
    case partialBlock(ULID)
    /// meta.json in the bucket that cannot be parsed.
    case corruptMeta(ULID, reason: String)
    /// A downloaded or listed file that does not match meta.json's `thanos.files`.
    case fileMismatch(ULID, file: String, reason: String)

    public var description: String {
        switch self {
        case .invalidBlockDirectory(let p, let r): return "\(p): cannot upload block: \(r)"
        case .partialBlock(let id): return "block \(id): no meta.json in the bucket (partial or in-progress upload)"
        case .corruptMeta(let id, let r): return "block \(id): corrupt meta.json: \(r)"
        case .fileMismatch(let id, let f, let r): return "block \(id): \(f): \(r)"
        }
    }
}
