import Foundation
import Testing
@testable import StrataObjStore

/// Filesystem specifics the shared suite cannot see: files on disk, temp files, symlinks.
@Suite("FilesystemBucket")
struct FilesystemBucketTests {
    @Test func layoutTempFilesAndSymlinks() async throws {
        let dir = try TestSupport.tempDirectory("fsb")
        defer { TestSupport.removeDirectory(dir) }
        let b = try FilesystemBucket(directory: dir + "/")
        #expect(b.directory == dir)
        try await b.put("01ABC/chunks/000001", bytes: [1, 2])
        #expect(FileManager.default.contents(atPath: dir + "/01ABC/chunks/000001") == Data([1, 2]))

        // A leftover temp file (crash mid-write) is invisible.
        _ = FileManager.default.createFile(atPath: dir + "/01ABC/.strata-tmp-abc123", contents: Data([9]))
        #expect(try await b.list(prefix: "01ABC") == ["01ABC/chunks/"])
        #expect(try await b.list(recursive: true) == ["01ABC/chunks/000001"])

        // Empty directories are skipped in flat listings, like Thanos.
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        #expect(try await b.list() == ["01ABC/"])

        // Symlinks are not followed (a bucket never reaches outside its directory).
        let outside = try TestSupport.tempDirectory("outside")
        defer { TestSupport.removeDirectory(outside) }
        _ = FileManager.default.createFile(atPath: outside + "/secret", contents: Data([7]))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: outside + "/secret")
        await #expect(throws: BucketError.notFound("link")) { _ = try await b.get("link") }
        #expect(try await b.exists("link") == false)

        try FileManager.default.removeItem(atPath: dir + "/01ABC/.strata-tmp-abc123")
        // Deleting the last object removes the emptied parents but never the root.
        try await b.delete("01ABC/chunks/000001")
        #expect(!FileManager.default.fileExists(atPath: dir + "/01ABC"))
        #expect(FileManager.default.fileExists(atPath: dir))
        await #expect(throws: BucketError.notFound("01ABC/chunks/000001")) { try await b.delete("01ABC/chunks/000001") }
    }

    @Test func relativeDirectoryIsMadeAbsolute() throws {
        let b = try FilesystemBucket(directory: "relative-bucket-\(UUID().uuidString)")
        defer { TestSupport.removeDirectory(b.directory) }
        #expect(b.directory.hasPrefix("/"))
        #expect(throws: BucketError.self) { try FilesystemBucket(directory: "") }
    }
}
