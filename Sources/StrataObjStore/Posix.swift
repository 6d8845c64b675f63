#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX helpers shared by the filesystem bucket and by file-backed upload bodies.
/// Plain syscalls rather than FileManager so that errno (ENOENT vs the rest) is visible and
/// symlinks are never followed silently.
enum Posix {
    static func errorMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func ioError(_ op: String, _ path: String, _ code: Int32 = errno) -> BucketError {
        .io(operation: op, path: path, message: errorMessage(code))
    }

    /// `stat` without following a final symlink; nil for ENOENT/ENOTDIR.
    static func lstatIfExists(_ path: String) throws -> stat? {
        var st = stat()
        if lstat(path, &st) == 0 { return st }
        let e = errno
        if e == ENOENT || e == ENOTDIR { return nil }
        throw ioError("stat", path, e)
    }

    static func isDirectory(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }
    static func isRegular(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFREG }

    /// Opens a file for reading; nil for ENOENT (and for a directory, which is "no object").
    static func openForReading(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR || e == ELOOP { return nil }
            throw ioError("open", path, e)
        }
        var st = stat()
        if fstat(fd, &st) != 0 || !isRegular(st) {
            close(fd)
            return nil
        }
        return fd
    }

    /// Size of an open regular file.
    static func size(fd: Int32, path: String) throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError("stat", path) }
        return Int64(st.st_size)
    }

    /// `mkdir -p` for the parents of `path` below `root` (which must exist or be creatable).
    static func makeDirectories(_ dir: String) throws {
        if dir.isEmpty || dir == "/" { return }
        var st = stat()
        if stat(dir, &st) == 0 {
            if isDirectory(st) { return }
            throw BucketError.io(operation: "mkdir", path: dir, message: "exists and is not a directory")
        }
        try makeDirectories(parent(of: dir))
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw ioError("mkdir", dir) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Writes all of `bytes` at the current position.
    static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            done += n
        }
    }

    /// `pread` that retries on EINTR; returns bytes read (0 at EOF).
    static func pread(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws -> Int {
        while true {
            let n = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ioError("read", path)
        }
    }

    /// Runs `body` holding an exclusive `flock(2)` on the directory `dir` (the filesystem
    /// bucket's compare-and-swap). The lock belongs to this open file description, so it
    /// also excludes other tasks of this process, and the kernel drops it when the process
    /// dies. `body` must be short: it blocks a thread.
    static func withDirectoryLock<T>(_ dir: String, _ body: () throws -> T) throws -> T {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open", dir) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw ioError("flock", dir) }
        }
        return try body()
    }
}
