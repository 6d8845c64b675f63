import Foundation
import StrataObjStore

/// What a block's meta.json says, read with Foundation's JSON parser rather than Strata's
/// `BlockMeta`, so that the chaos checks do not trust the code they check.
public struct AuditMeta: Sendable {
    public var ulid: String
    public var minTime: Int64
    public var maxTime: Int64
    public var level: Int
    public var resolution: Int64
    public var labels: [String: String]
    public var sources: [String]

    init(json: [UInt8]) throws {
        guard let o = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let ulid = o["ulid"] as? String, let minT = (o["minTime"] as? NSNumber)?.int64Value,
              let maxT = (o["maxTime"] as? NSNumber)?.int64Value else {
            throw MissingComponent(description: "unreadable meta.json: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        let compaction = o["compaction"] as? [String: Any] ?? [:]
        let thanos = o["thanos"] as? [String: Any] ?? [:]
        let downsample = thanos["downsample"] as? [String: Any] ?? [:]
        self.ulid = ulid
        minTime = minT
        maxTime = maxT
        level = (compaction["level"] as? NSNumber)?.intValue ?? 0
        sources = compaction["sources"] as? [String] ?? []
        resolution = (downsample["resolution"] as? NSNumber)?.int64Value ?? 0
        labels = thanos["labels"] as? [String: String] ?? [:]
    }

    /// The compaction group: external labels without `ignoring` (replica labels) and resolution.
    public func group(ignoring: Set<String>) -> String {
        let l = labels.filter { !ignoring.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(resolution)@{\(l.joined(separator: ","))}"
    }
}

/// The bucket as the checks see it: blocks with meta.json, partial blocks (objects but no
/// meta.json), deletion marks, and every other top-level object.
public struct BucketState: Sendable {
    public var metas: [String: AuditMeta] = [:]
    public var partial: [String] = []
    public var deletionMarked: Set<String> = []
    public var otherKeys: [String] = []

    /// Blocks with meta.json and no deletion mark.
    public var live: [AuditMeta] {
        metas.values.filter { !deletionMarked.contains($0.ulid) }.sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
    }
}

/// Samples by series (as `promtool tsdb dump` prints the labels) and timestamp.
public typealias SampleSet = [String: [Int64: Double]]

/// The independent reader of the chaos tests: lists the bucket, downloads blocks object by
/// object and reads raw blocks with `promtool tsdb dump` (Prometheus's own reader). A block
/// never changes once it has meta.json, so each is downloaded and dumped once per run.
public final class BucketAudit: @unchecked Sendable {
    // Used from one test task at a time.
    let bucket: any Bucket
    let promtool: String
    public let scratch: String
    private var dumps: [String: SampleSet] = [:]

    public init(bucket: any Bucket, promtool: String) {
        self.bucket = bucket
        self.promtool = promtool
        scratch = TestEnv.tempDir("chaos-audit")
    }

    public func state() async throws -> BucketState {
        var byBlock: [String: [String]] = [:]
        var s = BucketState()
        try await bucket.iterate(prefix: "", recursive: true) { key in
            let parts = key.split(separator: "/", maxSplits: 1)
            if parts.count == 2, parts[0].count == 26 {
                byBlock[String(parts[0]), default: []].append(String(parts[1]))
            } else {
                s.otherKeys.append(key)
            }
            return true
        }
        for (id, files) in byBlock {
            if files.contains("deletion-mark.json") { s.deletionMarked.insert(id) }
            guard files.contains("meta.json") else {
                s.partial.append(id)
                continue
            }
            // Deleted between the listing and this read: a deletion in flight, not a block.
            guard let bytes = try? await bucket.getBytes(id + "/meta.json") else { continue }
            s.metas[id] = try AuditMeta(json: bytes)
        }
        s.partial.sort()
        return s
    }

    /// Downloads block `id` (every object under it) into the scratch directory; its path.
    public func download(_ id: String) async throws -> String {
        let dir = scratch + "/" + id
        if FileManager.default.fileExists(atPath: dir + "/meta.json") { return dir }
        var keys: [String] = []
        try await bucket.iterate(prefix: id + "/", recursive: true) { keys.append($0); return true }
        for key in keys where !key.hasSuffix("-mark.json") {
            let path = scratch + "/" + key
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(try await bucket.getBytes(key)).write(to: URL(fileURLWithPath: path))
        }
        return dir
    }

    /// The samples of a raw block, as promtool reads them.
    public func samples(_ id: String) async throws -> SampleSet {
        if let d = dumps[id] { return d }
        let dir = try await download(id)
        let text = try TestEnv.promtoolDump(promtool, block: dir)
        let set = try Self.parseDump(text)
        dumps[id] = set
        return set
    }

    /// Parses `promtool tsdb dump` lines `{labels} value ts_ms`.
    public static func parseDump(_ text: String) throws -> SampleSet {
        var out: SampleSet = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            guard let close = line.range(of: "} ", options: .backwards) else { continue }
            let series = String(line[..<close.upperBound].dropLast())
            let rest = line[close.upperBound...].split(separator: " ")
            guard rest.count == 2, let v = Double(rest[0]), let t = Int64(rest[1]) else {
                throw MissingComponent(description: "unexpected promtool dump line: \(line)")
            }
            out[series, default: [:]][t] = v
        }
        return out
    }
}
