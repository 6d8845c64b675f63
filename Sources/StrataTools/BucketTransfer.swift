import ArgumentParser
import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// `strata bucket upload`: uploads local blocks in Thanos order (chunks, index, meta.json
/// last) with external labels and `thanos.files` hashes.
public struct BucketUploadCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Upload local block directories (named by ULID) to the bucket.")

    @OptionGroup public var objstore: ObjStoreOptions
    @Argument(help: "Block directories.") public var blockDirs: [String]
    @Option(name: .customLong("label"), help: "External label k=v for thanos.labels when the block has none (repeatable).")
    public var labels: [String] = []
    @Option(help: "thanos.source recorded in meta.json.") public var source = "bucket.upload"
    @Flag(name: .customLong("no-hash"), help: "Do not record SHA-256 of each file in thanos.files.")
    public var noHash = false

    public init() {}

    public func run() throws {
        var ext: [String: String] = [:]
        for l in labels {
            guard let eq = l.firstIndex(of: "="), eq != l.startIndex else {
                throw ValidationError("--label must be name=value, got \"\(l)\"")
            }
            ext[String(l[..<eq])] = String(l[l.index(after: eq)...])
        }
        let dirs = blockDirs, source = self.source, hash = !noHash, labelsMap = ext
        try withConfiguredBucket(objstore) { bucket in
            for dir in dirs {
                let meta = try await BlockUploader(bucket: bucket).upload(blockDir: dir, externalLabels: labelsMap, source: source, hash: hash)
                print("uploaded \(meta.ulid) (\(meta.thanos?.files.count ?? 0) files)")
            }
        }
    }
}

/// `strata bucket download`: one block into `<dir>/<ULID>/`, verified against thanos.files.
public struct BucketDownloadCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "download", abstract: "Download a block and check sizes and hashes against its meta.json.")

    @OptionGroup public var objstore: ObjStoreOptions
    @Argument(help: "Block ULID.") public var id: String
    @Argument(help: "Directory the block directory is created in.") public var dir: String

    public init() {}

    public func run() throws {
        let ulid: ULID
        do { ulid = try ULID(parsing: id) } catch { throw ValidationError("\(error)") }
        let dir = self.dir
        let meta = try withConfiguredBucket(objstore) { try await BlockDownloader(bucket: $0).download(ulid, into: dir) }
        print("downloaded \(meta.ulid) to \(dir)/\(meta.ulid)")
    }
}
