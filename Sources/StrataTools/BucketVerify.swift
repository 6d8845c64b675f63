import ArgumentParser
import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// `strata bucket verify`: checks that every block's objects match its meta.json (present,
/// right size) and, with `--full`, downloads each block and runs the block verifier.
public struct BucketVerifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check blocks in the bucket against their meta.json; exit 1 on any problem.")

    @OptionGroup public var objstore: ObjStoreOptions
    @Option(name: .customLong("id"), help: "Only these blocks (repeatable); default all.") public var ids: [String] = []
    @Flag(help: "Also download each block and verify index, chunks and checksums (slow).") public var full = false

    public init() {}

    public func run() throws {
        let only = try Set(ids.map { try ULID(parsing: $0) })
        let full = self.full
        let problems: [String] = try withConfiguredBucket(objstore) { bucket in
            let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
            var out: [String] = []
            out += snap.partial.filter { only.isEmpty || only.contains($0) }.map { "\($0): partial block (no meta.json)" }
            out += snap.corrupted.filter { only.isEmpty || only.contains($0.key) }.map { "\($0.key): \($0.value)" }
            for meta in snap.sortedMetas where only.isEmpty || only.contains(meta.ulid) {
                let before = out.count
                for f in meta.thanos?.files ?? [] where f.relPath != BlockLayout.meta {
                    do {
                        let size = try await bucket.attributes(BlockLayout.key(meta.ulid, f.relPath)).size
                        if let want = f.sizeBytes, want != size {
                            out.append("\(meta.ulid): \(f.relPath): size \(size), meta.json says \(want)")
                        }
                    } catch BucketError.notFound {
                        out.append("\(meta.ulid): \(f.relPath): listed in meta.json but missing")
                    }
                }
                if full && out.count == before {
                    let tmp = NSTemporaryDirectory() + "strata-verify-\(UUID().uuidString)"
                    defer { try? removeTree(tmp) }
                    do {
                        try await BlockDownloader(bucket: bucket).download(meta.ulid, into: tmp)
                        var v = BlockVerifier(dir: tmp + "/\(meta.ulid)")
                        out += v.run().map { "\(meta.ulid): \($0)" }
                    } catch {
                        out.append("\(meta.ulid): \(error)")
                    }
                }
                if out.count == before { print("\(meta.ulid): ok") }
            }
            return out
        }
        for p in problems { printError(p) }
        if !problems.isEmpty {
            printError("\(problems.count) problem(s) found")
            throw ExitCode(1)
        }
    }
}
