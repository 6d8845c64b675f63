import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Thanos `type: FILESYSTEM`: object `name` is the file `<directory>/<name>`.
///
/// Writes go to a temporary file in the target directory and are renamed into place, so a
/// reader never sees a half-written object (the store gateway may read while the sidecar
/// uploads). `putIfAbsent` uses `link(2)`, which fails atomically when the name exists.
/// `putIfMatch` compares and renames while holding a `flock(2)` on the object's directory;
/// every other write of a name in that directory (rename, link, unlink) takes the same lock,
/// so the compare-and-swap is atomic against all of them. The kernel drops the lock when its
/// holder dies: a crashed writer never wedges a key, and no lock file is left behind.
/// ETags are the quoted MD5 of the content, as S3 computes them for single-part uploads.
/// File I/O is blocking and chunked (1 MiB); objects are never read whole unless asked.
public struct FilesystemBucket: Bucket {
    public let kind = "FILESYSTEM"
    public var location: String { "filesystem bucket \(directory)" }
    /// Absolute root directory, without a trailing `/`.
    public let directory: String

    /// Temporary files carry this prefix and are hidden from listings.
    static let tempPrefix = ".strata-tmp-"

    public init(directory: String) throws {
        guard !directory.isEmpty else { throw BucketError.configuration("FILESYSTEM: directory is required") }
        var dir = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        self.directory = dir
        try Posix.makeDirectories(dir)
    }

    func path(_ key: String) throws -> String {
        try ObjectKey.validate(key)
        return directory + "/" + key
    }

    public func get(_ key: String) async throws -> ObjectStream {
        try await getRange(key, offset: 0, length: -1)
    }

    /// Ranged reads up to this size come in one chunk.
    static let wholeRangeRead: Int64 = 64 << 20

    public func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        let p = try path(key)
        guard offset >= 0, length >= -1 else { throw BucketError.invalidRange(key: key, offset: offset, length: length) }
        // Open now so that not-found surfaces here; every iterator re-opens (fd is per read).
        guard let fd = try Posix.openForReading(p) else { throw BucketError.notFound(key) }
        let size = try Posix.size(fd: fd, path: p)
        _ = Glibc.close(fd)
        if offset > size || (offset == size && size > 0 && length != 0) {
            throw BucketError.invalidRange(key: key, offset: offset, length: length)
        }
        let len: Int64? = length < 0 ? nil : length
        // A ranged read the store gateway collects whole (postings, series, chunks: at most
        // a few MB) is one read into one buffer, not 1 MB pieces copied together.
        let chunkSize = len.map { Int(max(min($0, Self.wholeRangeRead), Int64(FileChunkSource.defaultChunkSize))) }
            ?? FileChunkSource.defaultChunkSize
        return ObjectStream {
            do {
                return try FileChunkSource.open(path: p, offset: offset, length: len, chunkSize: chunkSize)
            } catch {
                return FailingChunkSource(error: BucketError.notFound(key))
            }
        }
    }

    public func put(_ key: String, body: PutBody) async throws {
        let p = try path(key)
        let tmp = try writeTemp(for: p, body: body)
        try Posix.withDirectoryLock(Posix.parent(of: p)) {
            if rename(tmp, p) != 0 {
                let e = errno
                unlink(tmp)
                throw Posix.ioError("rename", p, e)
            }
        }
    }

    public func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool {
        let p = try path(key)
        let tmp = try writeTemp(for: p, body: body)
        defer { unlink(tmp) }
        return try Posix.withDirectoryLock(Posix.parent(of: p)) {
            if link(tmp, p) == 0 { return true }
            let e = errno
            if e == EEXIST { return false }
            throw Posix.ioError("link", p, e)
        }
    }

    public func getVersioned(_ key: String) async throws -> VersionedObject {
        guard let v = try Self.readVersioned(try path(key)) else { throw BucketError.notFound(key) }
        return v
    }

    public func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        let p = try path(key)
        let tmp = try writeTemp(for: p, body: .bytes(body))
        var renamed = false
        defer { if !renamed { unlink(tmp) } }
        return try Posix.withDirectoryLock(Posix.parent(of: p)) {
            guard let current = try Self.readVersioned(p), current.etag == etag else { return false }
            guard rename(tmp, p) == 0 else { throw Posix.ioError("rename", p) }
            renamed = true
            return true
        }
    }

    /// The content of the file at `p` and its ETag; nil when there is no such file. One open
    /// file descriptor, so a concurrent replacement (a rename) cannot mix two versions.
    static func readVersioned(_ p: String) throws -> VersionedObject? {
        guard let fd = try Posix.openForReading(p) else { return nil }
        defer { _ = Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(try Posix.size(fd: fd, path: p)))
        var off = 0
        while off < bytes.count {
            let n = try bytes.withUnsafeMutableBytes {
                try Posix.pread(fd: fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[off...]), offset: Int64(off), path: p)
            }
            if n == 0 { break }
            off += n
        }
        bytes.removeSubrange(off...)
        return VersionedObject(bytes: bytes, etag: etag(of: bytes))
    }

    /// `"<hex MD5>"`, S3's ETag of a single-part upload.
    static func etag(of bytes: [UInt8]) -> String {
        "\"" + Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// Writes `body` to a fresh temporary file next to `finalPath` and fsyncs it.
    private func writeTemp(for finalPath: String, body: PutBody) throws -> String {
        let dir = Posix.parent(of: finalPath)
        try Posix.makeDirectories(dir)
        var template = Array((dir + "/" + Self.tempPrefix + "XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else { throw Posix.ioError("create temporary file in", dir) }
        var ok = false
        defer {
            _ = Glibc.close(fd)
            if !ok { unlink(tmp) }
        }
        fchmod(fd, 0o644)
        switch body {
        case .bytes(let bytes):
            try bytes.withUnsafeBytes { try Posix.writeAll(fd: fd, $0, path: tmp) }
        case .file(let src):
            guard let inFd = try Posix.openForReading(src) else {
                throw BucketError.io(operation: "open", path: src, message: "no such regular file")
            }
            defer { _ = Glibc.close(inFd) }
            var buf = [UInt8](repeating: 0, count: FileChunkSource.defaultChunkSize)
            var off: Int64 = 0
            while true {
                let n = try buf.withUnsafeMutableBytes { try Posix.pread(fd: inFd, into: $0, offset: off, path: src) }
                if n == 0 { break }
                try buf.withUnsafeBytes { try Posix.writeAll(fd: fd, UnsafeRawBufferPointer(rebasing: $0[0..<n]), path: tmp) }
                off += Int64(n)
            }
        }
        if fsync(fd) != 0 { throw Posix.ioError("fsync", tmp) }
        ok = true
        return tmp
    }

    public func delete(_ key: String) async throws {
        let p = try path(key)
        guard let st = try Posix.lstatIfExists(p), !Posix.isDirectory(st) else { throw BucketError.notFound(key) }
        try Posix.withDirectoryLock(Posix.parent(of: p)) {
            if unlink(p) != 0 {
                if errno == ENOENT { throw BucketError.notFound(key) }
                throw Posix.ioError("delete", p)
            }
        }
        // Remove now-empty parents up to (not including) the root, as Thanos does, so that
        // deleted blocks do not leave empty directories that listings would have to skip.
        var dir = Posix.parent(of: p)
        while dir.count > directory.count && dir.hasPrefix(directory + "/") {
            if rmdir(dir) != 0 { break }
            dir = Posix.parent(of: dir)
        }
    }

    public func exists(_ key: String) async throws -> Bool {
        let p = try path(key)
        guard let st = try Posix.lstatIfExists(p) else { return false }
        return Posix.isRegular(st)
    }

    public func attributes(_ key: String) async throws -> ObjectAttributes {
        let p = try path(key)
        guard let st = try Posix.lstatIfExists(p), Posix.isRegular(st) else { throw BucketError.notFound(key) }
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        return ObjectAttributes(size: Int64(st.st_size), lastModified: Date(timeIntervalSince1970: mtime))
    }

    public func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try ObjectKey.validatePrefix(prefix)
        let dirPrefix = ObjectKey.directoryPrefix(prefix)
        let dir = dirPrefix.isEmpty ? directory : directory + "/" + String(dirPrefix.dropLast())
        _ = try await walk(dir: dir, namePrefix: dirPrefix, recursive: recursive, body)
    }

    /// Lists one directory in S3 byte order (a directory sorts as `name/`); returns false
    /// once `body` asked to stop.
    private func walk(dir: String, namePrefix: String, recursive: Bool,
                      _ body: (String) async throws -> Bool) async throws -> Bool {
        for entry in try readDirectory(dir) {
            let full = dir + "/" + entry.name
            if entry.isDirectory {
                if recursive {
                    if try await !walk(dir: full, namePrefix: namePrefix + entry.name + "/", recursive: true, body) {
                        return false
                    }
                } else if try !readDirectory(full).isEmpty {
                    if try await !body(namePrefix + entry.name + "/") { return false }
                }
            } else if try await !body(namePrefix + entry.name) {
                return false
            }
        }
        return true
    }

    private struct Entry { var name: String; var isDirectory: Bool; var sortKey: [UInt8] }

    /// Regular files and directories of `dir` (symlinks, temp files and others skipped), sorted.
    private func readDirectory(_ dir: String) throws -> [Entry] {
        guard let d = opendir(dir) else {
            if errno == ENOENT || errno == ENOTDIR { return [] }
            throw Posix.ioError("list", dir)
        }
        defer { closedir(d) }
        var out: [Entry] = []
        while let ent = readdir(d) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." || name.hasPrefix(Self.tempPrefix) { continue }
            guard let st = try Posix.lstatIfExists(dir + "/" + name) else { continue }
            if Posix.isDirectory(st) {
                out.append(Entry(name: name, isDirectory: true, sortKey: Array((name + "/").utf8)))
            } else if Posix.isRegular(st) {
                out.append(Entry(name: name, isDirectory: false, sortKey: Array(name.utf8)))
            }
        }
        return out.sorted { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
    }
}

/// A chunk source that fails on first read (an object vanished between open and read).
final class FailingChunkSource: ChunkSource {
    let error: any Error
    init(error: any Error) { self.error = error }
    func nextChunk() async throws -> [UInt8]? { throw error }
}
