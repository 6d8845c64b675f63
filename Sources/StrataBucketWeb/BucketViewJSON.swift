import Foundation
import StrataCore
import StrataTSDB

/// The JSON of `/api/v1/blocks` in Thanos's shape (`data.blocks` holds meta.json documents
/// exactly as in the bucket, plus `label` and `refreshedAt`), so tooling written for Thanos's
/// bucket viewer reads it; Strata's extras (marks, partial uploads, unreadable blocks and the
/// computed groups with their gaps and overlaps) are additional members of `data`.
enum BucketViewJSON {
    static func data(_ view: BucketView?, label: String, refreshedAt: Date?) -> [JSONMember] {
        let v = view ?? BucketView(snapshot: .init())
        return [
            JSONMember("blocks", .array(v.metas.map(\.json))),
            JSONMember("label", .string(label)),
            JSONMember("refreshedAt", refreshedAt.map { .string(rfc3339($0)) } ?? .null),
            JSONMember("deletionMarks", marks(v.deletionMarks)),
            JSONMember("noCompactMarks", marks(v.noCompactMarks)),
            JSONMember("noDownsampleMarks", marks(v.noDownsampleMarks)),
            JSONMember("partial", .array(v.partial.map { id in
                .object([JSONMember("ulid", .string(id.description)), JSONMember("ulidTime", .int(id.timestampMs))])
            })),
            JSONMember("unreadable", .array(v.unreadable.keys.sorted().map { id in
                .object([JSONMember("ulid", .string(id.description)), JSONMember("error", .string(v.unreadable[id]!))])
            })),
            JSONMember("groups", .array(v.groups.map(group))),
        ]
    }

    static func rfc3339(_ d: Date) -> String { formatRFC3339(Int64(d.timeIntervalSince1970 * 1000)) }

    /// `{ULID: {"time": unix seconds, "details", "reason"}}`.
    static func marks(_ m: [ULID: BlockMarker]) -> JSONValue {
        .object(m.keys.sorted().map { id in
            let mark = m[id]!
            return JSONMember(id.description, .object([JSONMember("time", .int(mark.time)), JSONMember("details", .string(mark.details)),
                                                       JSONMember("reason", .string(mark.reason))]))
        })
    }

    static func range(_ r: BucketView.TimeRange) -> [JSONMember] {
        [JSONMember("minTime", .int(r.minTime)), JSONMember("maxTime", .int(r.maxTime))]
    }

    static func group(_ g: BucketView.Group) -> JSONValue {
        .object([
            JSONMember("key", .string(g.key)),
            JSONMember("title", .string(g.title)),
            JSONMember("labels", .object(g.labels.keys.sorted().map { JSONMember($0, .string(g.labels[$0]!)) })),
            JSONMember("resolution", .int(g.resolution)),
            JSONMember("minTime", .int(g.minTime)),
            JSONMember("maxTime", .int(g.maxTime)),
            JSONMember("blocks", .array(g.blocks.map { .string($0.description) })),
            JSONMember("gaps", .array(g.gaps.map { .object(range($0)) })),
            JSONMember("overlaps", .array(g.overlaps.map { o in
                .object(range(o.range) + [JSONMember("blocks", .array(o.blocks.map { .string($0.description) }))])
            })),
        ])
    }
}
