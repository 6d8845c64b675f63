import StrataCore
import StrataTSDB

/// Object names of a block in the bucket (Thanos layout): `<ULID>/meta.json`,
/// `<ULID>/index`, `<ULID>/chunks/000001`, markers next to meta.json.
public enum BlockLayout {
    public static let meta = "meta.json"
    public static let index = "index"
    public static let chunksDir = "chunks"

    public static func key(_ id: ULID, _ rel: String) -> String { id.description + "/" + rel }
    public static func metaKey(_ id: ULID) -> String { key(id, meta) }
    public static func markerKey(_ id: ULID, _ kind: MarkerKind) -> String { key(id, kind.rawValue) }

    /// The block ID of a top-level listing entry (`<ULID>/`), or nil for anything else.
    public static func blockID(fromEntry name: String) -> ULID? {
        guard name.hasSuffix("/") else { return nil }
        let base = name.dropLast()
        guard !base.contains("/") else { return nil }
        return try? ULID(parsing: String(base))
    }
}
