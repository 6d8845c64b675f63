import ArgumentParser
import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// `strata bucket cleanup`: deletes blocks marked for deletion longer than `--delete-delay`
/// ago, and partial uploads whose newest object is older than `--partial-delay` (an upload
/// that old will never finish).
public struct BucketCleanupCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cleanup", abstract: "Delete blocks marked for deletion (after a delay) and abandoned partial uploads.")

    @OptionGroup public var objstore: ObjStoreOptions
    @Option(name: .customLong("delete-delay"), help: "Time between the deletion mark and actual deletion.")
    public var deleteDelay = "48h"
    @Option(name: .customLong("partial-delay"), help: "Age after which a block without meta.json is removed.")
    public var partialDelay = "48h"
    @Flag(name: .customLong("dry-run"), help: "Only print what would be deleted.") public var dryRun = false

    public init() {}

    public func run() throws {
        let deleteMs = try parseDuration(deleteDelay)
        let partialMs = try parseDuration(partialDelay)
        let dryRun = self.dryRun
        try withConfiguredBucket(objstore) { bucket in
            let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            var doomed: [(ULID, String)] = []
            for (id, mark) in snap.deletionMarks.sorted(by: { $0.key < $1.key }) where nowMs - mark.time * 1000 >= deleteMs {
                doomed.append((id, "marked for deletion at \(formatRFC3339(mark.time * 1000))"))
            }
            doomed += try await PartialUploads(bucket: bucket).abandoned(snap.partial, olderThanMs: partialMs)
            for (id, why) in doomed {
                if dryRun {
                    print("would delete \(id): \(why)")
                } else {
                    try await BlockDeleter(bucket: bucket).delete(id)
                    print("deleted \(id): \(why)")
                }
            }
            if doomed.isEmpty { print("nothing to clean up") }
        }
    }
}
