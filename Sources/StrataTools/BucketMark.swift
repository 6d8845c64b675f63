import ArgumentParser
import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

extension MarkerKind: ExpressibleByArgument {}

/// `strata bucket mark`: adds (or with `--remove`, removes) a Thanos marker on blocks.
public struct BucketMarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mark", abstract: "Mark blocks for deletion or exclude them from compaction/downsampling.")

    @OptionGroup public var objstore: ObjStoreOptions
    @Option(name: .customLong("id"), help: "Block ULID (repeatable).") public var ids: [String]
    @Option(help: "Marker file: deletion-mark.json, no-compact-mark.json or no-downsample-mark.json.")
    public var marker: MarkerKind
    @Option(help: "Why the block is marked (stored in the marker).") public var details = ""
    @Flag(help: "Remove the marker instead of adding it.") public var remove = false

    public init() {}

    public func run() throws {
        let ulids = try ids.map { id -> ULID in
            do { return try ULID(parsing: id) } catch { throw ValidationError("\(error)") }
        }
        let marker = self.marker, details = self.details, remove = self.remove
        try withConfiguredBucket(objstore) { bucket in
            let markers = BlockMarkers(bucket: bucket)
            for id in ulids {
                if remove {
                    try await markers.unmark(id, marker)
                    print("\(id): removed \(marker.rawValue)")
                } else if try await markers.mark(id, marker, details: details) {
                    print("\(id): marked with \(marker.rawValue)")
                } else {
                    print("\(id): already marked with \(marker.rawValue)")
                }
            }
        }
    }
}
