import Foundation
import Logging
import StrataCore
import StrataObjStore
import StrataTSDB

#if canImport(Glibc)
import Glibc
#endif

/// Ships finished Prometheus blocks to the bucket, as the Thanos sidecar does, without ever
/// losing or corrupting one:
/// - only complete, non-empty blocks (level 1, or any level with `uploadCompacted`), never
///   `*.tmp*` directories, never a block already in the shipper file or already in the bucket;
/// - each block is hard-linked into a staging directory first, so Prometheus deleting or
///   compacting it mid-upload does no harm;
/// - upload order chunks → index → meta.json (meta last marks the block complete);
/// - the shipper file `thanos.shipper.json` is rewritten atomically after each upload.
public actor Shipper {
    public let tsdbPath: String
    let bucket: any Bucket
    let externalLabels: [String: String]
    let uploadCompacted: Bool
    /// `thanos.source` of the uploaded blocks' meta.json ("sidecar", "ruler", "receive").
    let source: String
    let logger: Logger
    public private(set) var lastSuccess: Date?

    public static let shipperFile = "thanos.shipper.json"

    public struct Result: Sendable, Equatable {
        public var uploaded = 0
        public var failed = 0
        public var skipped = 0
    }

    public init(tsdbPath: String, bucket: any Bucket, externalLabels: [String: String], uploadCompacted: Bool = false,
                source: String = "sidecar", logger: Logger = Logger(label: "shipper")) {
        self.tsdbPath = tsdbPath
        self.bucket = bucket
        self.externalLabels = externalLabels
        self.uploadCompacted = uploadCompacted
        self.source = source
        self.logger = logger
    }

    /// ULIDs recorded as uploaded (missing file = none; an unreadable one is an error, not
    /// an invitation to upload everything again).
    public func shipped() throws -> Set<ULID> {
        let path = tsdbPath + "/" + Self.shipperFile
        guard fileExists(path) else { return [] }
        let v = try JSONValue(parsing: try readFile(path))
        guard v["version"]?.int64Value == 1 else { throw TSDBError.corrupt(path: path, offset: 0, "unsupported shipper file version") }
        return Set((v["uploaded"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { try? ULID(parsing: $0) } })
    }

    func writeShipped(_ ids: Set<ULID>) throws {
        let doc = JSONValue.object([
            JSONMember("version", .int(1)),
            JSONMember("uploaded", .array(ids.sorted().map { .string($0.description) })),
        ])
        try writeFileAtomically(tsdbPath + "/" + Self.shipperFile, Array((doc.serialized(indent: "\t") + "\n").utf8))
    }

    /// One pass: uploads every block that should be shipped. Per-block failures are logged,
    /// counted and retried on the next pass; the others still ship.
    public func sync() async throws -> Result {
        var result = Result()
        var done = try shipped()
        var bucketBlocks: [BlockMeta]?
        for name in try listDirectory(tsdbPath) {
            guard name.count == 26, let id = try? ULID(parsing: name), !done.contains(id) else { continue }
            let dir = tsdbPath + "/" + name
            guard fileExists(dir + "/meta.json"), let meta = try? BlockMeta.read(dir: dir) else { continue }
            if meta.stats.numSamples == 0 { result.skipped += 1; continue }
            if meta.compaction.level > 1 && !uploadCompacted { result.skipped += 1; continue }
            do {
                if try await bucket.exists(BlockLayout.metaKey(id)) {
                    done.insert(id)
                    try writeShipped(done)
                    continue
                }
                if meta.compaction.level > 1 {
                    if bucketBlocks == nil { bucketBlocks = try await BlockMetaFetcher(bucket: bucket, logger: logger).fetch(readMarkers: false).sortedMetas }
                    let mine = Labels(externalLabels)
                    if let clash = bucketBlocks!.first(where: { $0.externalLabels == mine && $0.minTime < meta.maxTime && meta.minTime < $0.maxTime }) {
                        logger.error("not uploading compacted block: it overlaps a block in the bucket",
                                     metadata: ["block": "\(id)", "overlaps": "\(clash.ulid)"])
                        result.failed += 1
                        continue
                    }
                }
                try await ship(dir: dir, id: id)
                done.insert(id)
                try writeShipped(done)
                result.uploaded += 1
            } catch {
                logger.error("block upload failed", metadata: ["block": "\(id)", "err": "\(error)"])
                result.failed += 1
            }
        }
        if result.failed == 0 { lastSuccess = Date() }
        return result
    }

    /// Hard-links the block into `thanos/upload/<ULID>` and uploads from there.
    func ship(dir: String, id: ULID) async throws {
        let stagingRoot = tsdbPath + "/thanos/upload"
        let staging = stagingRoot + "/" + id.description
        try makeDirectory(tsdbPath + "/thanos")
        try makeDirectory(stagingRoot)
        try removeTree(staging)
        defer { try? removeTree(staging) }
        try hardLinkTree(dir, staging)
        try await BlockUploader(bucket: bucket, logger: logger).upload(blockDir: staging, externalLabels: externalLabels, source: source)
    }

    /// Recreates `src` under `dst` with hard links (copies when linking is not possible).
    func hardLinkTree(_ src: String, _ dst: String) throws {
        try makeDirectory(dst)
        for n in try listDirectory(src) {
            let s = src + "/" + n, d = dst + "/" + n
            if isDirectory(s) {
                try hardLinkTree(s, d)
            } else if link(s, d) != 0 {
                try writeFileAtomically(d, try readFile(s))
            }
        }
    }
}
