import ArgumentParser
import Foundation
import Logging
import StrataCore
import StrataObjStore

/// `strata bucket`: look at and maintain an object storage bucket (Thanos `tools bucket`).
public struct BucketCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bucket",
        abstract: "Inspect an object storage bucket (objstore.yml as in Thanos).",
        subcommands: [BucketListCommand.self, BucketInspectCommand.self, BucketUploadCommand.self,
                      BucketDownloadCommand.self, BucketVerifyCommand.self, BucketMarkCommand.self,
                      BucketCleanupCommand.self]
    )

    public init() {}
}

/// Opens the configured bucket, runs `body` on it and closes it, from a synchronous `run()`.
func withConfiguredBucket<T: Sendable>(_ options: ObjStoreOptions,
                                       _ body: @escaping @Sendable (any Bucket) async throws -> T) throws -> T {
    let bucket = try options.makeBucket(logger: Logger(label: "objstore"))
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
    case table, json
}

/// `strata bucket ls`: the top level of the bucket (or of `--prefix`): blocks (ULID
/// directories), other directories, and objects with their sizes.
public struct BucketListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List blocks, directories and objects at the top level of the bucket."
    )

    @OptionGroup public var objstore: ObjStoreOptions

    @Option(name: [.short, .customLong("output")], help: "Output format: table or json.")
    public var output: ListOutput = .table

    @Option(name: .customLong("prefix"), help: "List under this directory instead of the bucket root.")
    public var prefix: String = ""

    public init() {}

    public func run() throws {
        let prefix = self.prefix
        let entries = try withConfiguredBucket(objstore) { try await BucketEntry.list($0, prefix: prefix) }
        print(output == .json ? BucketEntry.json(entries) : BucketEntry.table(entries), terminator: "")
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
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + items.joined(separator: ",") + "]\n"
    }
}
