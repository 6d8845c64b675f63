import StrataCore

/// Thanos block markers: files next to meta.json that change how the block is treated.
public enum MarkerKind: String, Sendable, CaseIterable {
    case deletion = "deletion-mark.json"
    case noCompact = "no-compact-mark.json"
    case noDownsample = "no-downsample-mark.json"

    var timeKey: String {
        switch self {
        case .deletion: return "deletion_time"
        case .noCompact: return "no_compact_time"
        case .noDownsample: return "no_downsample_time"
        }
    }
}

public struct BlockMarker: Sendable, Equatable {
    public var kind: MarkerKind
    public var id: ULID
    /// Unix seconds.
    public var time: Int64
    public var details: String
    /// `no-compact`/`no-downsample` reason, e.g. `manual`.
    public var reason: String

    public init(kind: MarkerKind, id: ULID, time: Int64, details: String = "", reason: String = "manual") {
        self.kind = kind
        self.id = id
        self.time = time
        self.details = details
        self.reason = reason
    }

    public var encoded: [UInt8] {
        var o: [JSONMember] = [JSONMember("id", .string(id.description)), JSONMember("version", .int(1))]
        if !details.isEmpty { o.append(JSONMember("details", .string(details))) }
        o.append(JSONMember(kind.timeKey, .int(time)))
        if kind != .deletion { o.append(JSONMember("reason", .string(reason))) }
        return Array((JSONValue.object(o).serialized(indent: "\t") + "\n").utf8)
    }

    public init(kind: MarkerKind, json bytes: [UInt8]) throws {
        let v = try JSONValue(parsing: bytes)
        guard let s = v["id"]?.stringValue, let id = try? ULID(parsing: s) else {
            throw TSDBError.corrupt(path: kind.rawValue, offset: 0, "marker without a valid \"id\"")
        }
        guard v["version"]?.int64Value == 1 else {
            throw TSDBError.corrupt(path: kind.rawValue, offset: 0, "unsupported marker version")
        }
        self.init(kind: kind, id: id, time: v[kind.timeKey]?.int64Value ?? 0,
                  details: v["details"]?.stringValue ?? "", reason: v["reason"]?.stringValue ?? "")
    }
}
