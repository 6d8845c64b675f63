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
                let meta = try await BlockUploader(bucket: bucket).upload(blockDir: dir, externalLabels: labelsMap, source: source, hash: hash,
                                                                          progress: TerminalProgress.callback(verb: "uploading"))
                TerminalProgress.finish()
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
        let meta = try withConfiguredBucket(objstore) {
            try await BlockDownloader(bucket: $0).download(ulid, into: dir, progress: TerminalProgress.callback(verb: "downloading"))
        }
        TerminalProgress.finish()
        print("downloaded \(meta.ulid) to \(dir)/\(meta.ulid)")
    }
}

/// A one-line progress display on stderr for long transfers — only when stderr is a
/// terminal, so scripts and logs see just the result lines.
enum TerminalProgress {
    static let enabled = isatty(2) == 1

    static func callback(verb: String) -> (@Sendable (TransferProgress) -> Void)? {
        guard enabled else { return nil }
        return { p in
            let pct = p.bytesTotal > 0 ? Int(p.bytesDone * 100 / p.bytesTotal) : 100
            let line = "\r\(verb) \(p.block): \(pct)% (\(p.bytesDone >> 20) of \(p.bytesTotal >> 20) MiB) \(p.file)\u{1B}[K"
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
    }

    static func finish() {
        if enabled { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) }
    }
}
