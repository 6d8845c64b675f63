import ArgumentParser
import Foundation
import Logging
import StrataCore
import StrataBucket
import StrataObjStore
import StrataTSDB

/// `strata bucket`: look at and maintain an object storage bucket (Thanos `tools bucket`).
public struct BucketCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bucket",
        abstract: "Inspect an object storage bucket (objstore.yml as in Thanos).",
        subcommands: [BucketListCommand.self, BucketInspectCommand.self, BucketUploadCommand.self,
                      BucketDownloadCommand.self, BucketVerifyCommand.self, BucketMarkCommand.self,
                      BucketCleanupCommand.self, BucketWebCommand.self]
    )

    public init() {}
}

/// Opens the configured bucket, runs `body` on it and closes it, from a synchronous `run()`.
/// An endpoint that cannot be reached ends the command at once with one line naming
/// endpoint, bucket and cause (`RetryPolicy.interactive`).
func withConfiguredBucket<T: Sendable>(_ options: ObjStoreOptions,
                                       _ body: @escaping @Sendable (any Bucket) async throws -> T) throws -> T {
    let bucket = try options.makeBucket(retry: .interactive, logger: Logger(label: "objstore"))
    return try runBlocking {
        do {
            let r = try await body(bucket)
            try await bucket.close()
            return r
        } catch {
            try? await bucket.close()
            throw error
        }
    }
}

/// Output of listing commands.
public enum ListOutput: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `wide`: the table plus, for blocks, what meta.json and the markers say.
    case table, json, wide
}

/// `strata bucket ls`: the top level of the bucket (or of `--prefix`): blocks (ULID
/// directories), other directories, and objects with their sizes.
public struct BucketListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List blocks, directories and objects at the top level of the bucket."
    )

    @OptionGroup public var objstore: ObjStoreOptions

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or wide (blocks with time range, stats, level, resolution, labels, state).")
    public var output: ListOutput = .table

    @Option(name: .customLong("prefix"), help: "List under this directory instead of the bucket root.")
    public var prefix: String = ""

    public init() {}

    public func run() throws {
        let prefix = self.prefix, output = self.output
        let entries = try withConfiguredBucket(objstore) { b in
            var list = try await BucketEntry.list(b, prefix: prefix)
            // JSON is read by scripts: a block's state must be there, or a partial upload
            // looks like a complete block.
            if output != .table { try await BucketEntry.describeBlocks(&list, b, prefix: prefix) }
            return list
        }
        switch output {
        case .json: print(BucketEntry.json(entries), terminator: "")
        case .table: print(BucketEntry.table(entries), terminator: "")
        case .wide: print(BucketEntry.wideTable(entries), terminator: "")
        }
    }
}

/// One line of `strata bucket ls`.
struct BucketEntry: Sendable {
    enum Kind: String, Sendable { case block, dir, object }

    var name: String
    var kind: Kind
    /// Objects only.
    var size: Int64?
    /// Blocks only: the time encoded in the ULID (block creation), in milliseconds.
    var ulidTimeMs: Int64?
    /// Blocks, with `-o wide` or `-o json`: meta.json (nil when absent or unreadable) and the state.
    var meta: BlockMeta?
    var state = ""

    static func list(_ bucket: any Bucket, prefix: String) async throws -> [BucketEntry] {
        var names: [String] = []
        try await bucket.iterate(prefix: prefix, recursive: false) { names.append($0); return true }
        var out: [BucketEntry] = []
        for name in names {
            if name.hasSuffix("/") {
                let last = name.dropLast().split(separator: "/").last.map(String.init) ?? ""
                if let ulid = try? ULID(parsing: last) {
                    out.append(BucketEntry(name: name, kind: .block, ulidTimeMs: ulid.timestampMs))
                } else {
                    out.append(BucketEntry(name: name, kind: .dir))
                }
            } else {
                let attrs = try await bucket.attributes(name)
                out.append(BucketEntry(name: name, kind: .object, size: attrs.size))
            }
        }
        return out
    }

    /// Reads each block's meta.json and markers: `complete`, `partial` (no meta.json: an
    /// upload in progress or abandoned), `unreadable meta.json`, plus the marks present.
    static func describeBlocks(_ entries: inout [BucketEntry], _ bucket: any Bucket, prefix: String) async throws {
        for i in entries.indices where entries[i].kind == .block {
            let dir = entries[i].name
            if try await bucket.exists(dir + BlockLayout.meta) {
                if let m = try? BlockMeta(json: try await bucket.getBytes(dir + BlockLayout.meta)) {
                    entries[i].meta = m
                    entries[i].state = "complete"
                } else {
                    entries[i].state = "unreadable meta.json"
                }
            } else {
                entries[i].state = "partial"
            }
            for kind in MarkerKind.allCases where try await bucket.exists(dir + kind.rawValue) {
                entries[i].state += ", " + kind.rawValue.replacingOccurrences(of: ".json", with: "")
            }
        }
    }

    static func wideTable(_ entries: [BucketEntry]) -> String {
        renderTable([["NAME", "TYPE", "FROM", "UNTIL", "SERIES", "SAMPLES", "LEVEL", "RESOLUTION", "LABELS", "STATE", "SIZE"]] + entries.map { e in
            guard let m = e.meta else {
                return [e.name, e.kind.rawValue, "", "", "", "", "", "", "", e.state, e.size.map(String.init) ?? ""]
            }
            return [e.name, e.kind.rawValue, formatRFC3339(m.minTime), formatRFC3339(m.maxTime), String(m.stats.numSeries),
                    String(m.stats.numSamples), String(m.compaction.level), formatDuration(m.resolution), "\(m.externalLabels)",
                    e.state, ""]
        })
    }

    static func table(_ entries: [BucketEntry]) -> String {
        renderTable([["NAME", "TYPE", "SIZE", "ULID TIME"]] + entries.map {
            [$0.name, $0.kind.rawValue, $0.size.map(String.init) ?? "", $0.ulidTimeMs.map(formatRFC3339) ?? ""]
        })
    }

    static func json(_ entries: [BucketEntry]) -> String {
        let items = entries.map { e -> String in
            var fields = ["\"name\":\(jsonString(e.name))", "\"type\":\(jsonString(e.kind.rawValue))"]
            if let s = e.size { fields.append("\"size\":\(s)") }
            if let t = e.ulidTimeMs { fields.append("\"ulid_time\":\(jsonString(formatRFC3339(t)))") }
            if e.kind == .block { fields.append("\"state\":\(jsonString(e.state))") }
            if let m = e.meta {
                fields += ["\"min_time\":\(jsonString(formatRFC3339(m.minTime)))", "\"max_time\":\(jsonString(formatRFC3339(m.maxTime)))",
                           "\"series\":\(m.stats.numSeries)", "\"samples\":\(m.stats.numSamples)", "\"level\":\(m.compaction.level)",
                           "\"resolution\":\(jsonString(formatDuration(m.resolution)))"]
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + items.joined(separator: ",") + "]\n"
    }
}
