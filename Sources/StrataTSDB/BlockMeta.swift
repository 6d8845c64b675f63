import StrataCore

/// A block's meta.json: Prometheus `BlockMeta` plus the Thanos section. Keys Strata does not
/// model are kept in `extra` fields and written back unchanged, so Strata never strips what
/// a newer Prometheus or Thanos recorded.
public struct BlockMeta: Sendable, Equatable {
    public var ulid: ULID
    public var minTime: Int64
    public var maxTime: Int64
    public var stats = BlockStats()
    public var compaction = Compaction()
    public var version = 1
    public var thanos: ThanosMeta?
    public var extra: [JSONMember] = []

    public init(ulid: ULID, minTime: Int64, maxTime: Int64) {
        self.ulid = ulid
        self.minTime = minTime
        self.maxTime = maxTime
        compaction.level = 1
        compaction.sources = [ulid]
    }

    public struct BlockStats: Sendable, Equatable {
        public var numSamples: UInt64 = 0
        public var numSeries: UInt64 = 0
        public var numChunks: UInt64 = 0
        public var numTombstones: UInt64 = 0
        public var extra: [JSONMember] = []
        public init() {}
    }

    public struct BlockDesc: Sendable, Equatable {
        public var ulid: ULID
        public var minTime: Int64
        public var maxTime: Int64
        public init(ulid: ULID, minTime: Int64, maxTime: Int64) {
            self.ulid = ulid
            self.minTime = minTime
            self.maxTime = maxTime
        }
    }

    public struct Compaction: Sendable, Equatable {
        public var level = 1
        public var sources: [ULID] = []
        public var parents: [BlockDesc] = []
        public var deletable = false
        public var failed = false
        public var hints: [String] = []
        public var extra: [JSONMember] = []
        public init() {}
    }

    /// Resolution of the data in ms: 0 raw, 300000 (5m), 3600000 (1h).
    public var resolution: Int64 { thanos?.downsampleResolution ?? 0 }
    public var externalLabels: Labels { Labels(thanos?.labels ?? [:]) }
}

public struct ThanosFile: Sendable, Equatable {
    public var relPath: String
    public var sizeBytes: Int64?
    /// Hex SHA256 of the file, when known.
    public var sha256: String?
    public init(relPath: String, sizeBytes: Int64?, sha256: String? = nil) {
        self.relPath = relPath
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
    }
}

public struct ThanosMeta: Sendable, Equatable {
    public var version: Int? = 1
    public var labels: [String: String] = [:]
    public var downsampleResolution: Int64 = 0
    public var source = ""
    public var segmentFiles: [String] = []
    public var files: [ThanosFile] = []
    /// Rewrite records, kept as JSON (`sources`, `deletions_applied`, `relabels_applied`).
    public var rewrites: [JSONValue] = []
    public var extra: [JSONMember] = []
    public init(labels: [String: String] = [:], source: String = "", resolution: Int64 = 0) {
        self.labels = labels
        self.source = source
        self.downsampleResolution = resolution
    }
}

extension BlockMeta {
    /// Parses meta.json; rejects a version other than 1 and missing required keys.
    public init(json bytes: [UInt8], path: String = "meta.json") throws {
        let v: JSONValue
        do { v = try JSONValue(parsing: bytes) } catch {
            throw TSDBError.corrupt(path: path, offset: (error as? JSONParseError)?.offset ?? 0, "\(error)")
        }
        func bad(_ m: String) -> TSDBError { TSDBError.corrupt(path: path, offset: 0, m) }
        guard let top = v.objectValue else { throw bad("meta.json is not a JSON object") }
        guard let ulidText = v["ulid"]?.stringValue, let ulid = try? ULID(parsing: ulidText) else { throw bad("missing or invalid \"ulid\"") }
        guard let minT = v["minTime"]?.int64Value, let maxT = v["maxTime"]?.int64Value else { throw bad("missing \"minTime\" or \"maxTime\"") }
        guard let ver = v["version"]?.int64Value else { throw bad("missing \"version\"") }
        guard ver == 1 else { throw bad("unsupported meta.json version \(ver)") }
        self.init(ulid: ulid, minTime: minT, maxTime: maxT)
        version = 1
        compaction = Compaction()
        extra = top.filter { !["ulid", "minTime", "maxTime", "stats", "compaction", "version", "thanos"].contains($0.key) }

        if let s = v["stats"]?.objectValue {
            for m in s {
                switch m.key {
                case "numSamples": stats.numSamples = UInt64(max(0, m.value.int64Value ?? 0))
                case "numSeries": stats.numSeries = UInt64(max(0, m.value.int64Value ?? 0))
                case "numChunks": stats.numChunks = UInt64(max(0, m.value.int64Value ?? 0))
                case "numTombstones": stats.numTombstones = UInt64(max(0, m.value.int64Value ?? 0))
                default: stats.extra.append(m)
                }
            }
        }
        if let c = v["compaction"]?.objectValue {
            for m in c {
                switch m.key {
                case "level": compaction.level = Int(m.value.int64Value ?? 0)
                case "sources":
                    compaction.sources = try (m.value.arrayValue ?? []).map {
                        guard let s = $0.stringValue, let u = try? ULID(parsing: s) else { throw bad("invalid ULID in compaction.sources") }
                        return u
                    }
                case "parents":
                    compaction.parents = try (m.value.arrayValue ?? []).map {
                        guard let s = $0["ulid"]?.stringValue, let u = try? ULID(parsing: s),
                              let a = $0["minTime"]?.int64Value, let b = $0["maxTime"]?.int64Value
                        else { throw bad("invalid entry in compaction.parents") }
                        return BlockDesc(ulid: u, minTime: a, maxTime: b)
                    }
                case "deletable": compaction.deletable = m.value.boolValue ?? false
                case "failed": compaction.failed = m.value.boolValue ?? false
                case "hints": compaction.hints = (m.value.arrayValue ?? []).compactMap(\.stringValue)
                default: compaction.extra.append(m)
                }
            }
        }
        if let t = v["thanos"]?.objectValue {
            var th = ThanosMeta()
            th.version = nil
            for m in t {
                switch m.key {
                case "version": th.version = m.value.int64Value.map { Int($0) }
                case "labels":
                    for l in m.value.objectValue ?? [] { th.labels[l.key] = l.value.stringValue ?? "" }
                case "downsample": th.downsampleResolution = m.value["resolution"]?.int64Value ?? 0
                case "source": th.source = m.value.stringValue ?? ""
                case "segment_files": th.segmentFiles = (m.value.arrayValue ?? []).compactMap(\.stringValue)
                case "files":
                    th.files = (m.value.arrayValue ?? []).compactMap { f in
                        guard let p = f["rel_path"]?.stringValue else { return nil }
                        let hash = f["hash"]?["hashFunc"]?.stringValue == "SHA256" ? f["hash"]?["value"]?.stringValue : nil
                        return ThanosFile(relPath: p, sizeBytes: f["size_bytes"]?.int64Value, sha256: hash)
                    }.sorted { $0.relPath < $1.relPath }
                case "rewrites": th.rewrites = m.value.arrayValue ?? []
                default: th.extra.append(m)
                }
            }
            thanos = th
        }
    }

    /// The JSON document in Go's field order.
    public var json: JSONValue {
        var top: [JSONMember] = [
            JSONMember("ulid", .string(ulid.description)),
            JSONMember("minTime", .int(minTime)),
            JSONMember("maxTime", .int(maxTime)),
        ]
        var s: [JSONMember] = []
        if stats.numSamples > 0 { s.append(JSONMember("numSamples", .int(Int64(stats.numSamples)))) }
        if stats.numSeries > 0 { s.append(JSONMember("numSeries", .int(Int64(stats.numSeries)))) }
        if stats.numChunks > 0 { s.append(JSONMember("numChunks", .int(Int64(stats.numChunks)))) }
        if stats.numTombstones > 0 { s.append(JSONMember("numTombstones", .int(Int64(stats.numTombstones)))) }
        top.append(JSONMember("stats", .object(s + stats.extra)))
        var c: [JSONMember] = [JSONMember("level", .int(Int64(compaction.level)))]
        if !compaction.sources.isEmpty { c.append(JSONMember("sources", .array(compaction.sources.map { .string($0.description) }))) }
        if !compaction.parents.isEmpty {
            c.append(JSONMember("parents", .array(compaction.parents.map {
                .object([JSONMember("ulid", .string($0.ulid.description)), JSONMember("minTime", .int($0.minTime)),
                         JSONMember("maxTime", .int($0.maxTime))])
            })))
        }
        if compaction.deletable { c.append(JSONMember("deletable", .bool(true))) }
        if compaction.failed { c.append(JSONMember("failed", .bool(true))) }
        if !compaction.hints.isEmpty { c.append(JSONMember("hints", .array(compaction.hints.map { .string($0) }))) }
        top.append(JSONMember("compaction", .object(c + compaction.extra)))
        top.append(JSONMember("version", .int(Int64(version))))
        top += extra
        if let th = thanos {
            var t: [JSONMember] = []
            if let v = th.version, v != 0 { t.append(JSONMember("version", .int(Int64(v)))) }
            t.append(JSONMember("labels", .object(th.labels.keys.sorted().map { JSONMember($0, .string(th.labels[$0]!)) })))
            t.append(JSONMember("downsample", .object([JSONMember("resolution", .int(th.downsampleResolution))])))
            t.append(JSONMember("source", .string(th.source)))
            if !th.segmentFiles.isEmpty { t.append(JSONMember("segment_files", .array(th.segmentFiles.map { .string($0) }))) }
            if !th.files.isEmpty {
                t.append(JSONMember("files", .array(th.files.sorted { $0.relPath < $1.relPath }.map { f in
                    var o = [JSONMember("rel_path", .string(f.relPath))]
                    if let s = f.sizeBytes, s != 0 { o.append(JSONMember("size_bytes", .int(s))) }
                    if let h = f.sha256 {
                        o.append(JSONMember("hash", .object([JSONMember("hashFunc", .string("SHA256")), JSONMember("value", .string(h))])))
                    }
                    return .object(o)
                })))
            }
            if !th.rewrites.isEmpty { t.append(JSONMember("rewrites", .array(th.rewrites))) }
            top.append(JSONMember("thanos", .object(t + th.extra)))
        }
        return .object(top)
    }

    /// Tab-indented JSON, as Prometheus and Thanos write meta.json.
    public var encoded: [UInt8] { Array((json.serialized(indent: "\t") + "\n").utf8) }

    public static func read(dir: String) throws -> BlockMeta {
        let path = dir + "/meta.json"
        return try BlockMeta(json: try readFile(path), path: path)
    }

    /// Writes meta.json atomically (temp file, fsync, rename).
    public func write(dir: String) throws {
        try writeFileAtomically(dir + "/meta.json", encoded)
    }
}
