#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file read; errors name the path.
public func readFile(_ path: String) throws -> [UInt8] {
    let m = try MappedFile(path: path)
    return Array(m.buffer)
}

/// Writes `bytes` to `path` through a temp file, fsync and rename, so readers never see a
/// half-written file.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = path + ".tmp"
    let f = try FileWriter(path: tmp)
    try f.write(bytes)
    try f.close()
    guard rename(tmp, path) == 0 else { throw TSDBError.io(path: path, errno: errno) }
}

public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

public func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

public func fileSize(_ path: String) throws -> Int64 {
    var st = stat()
    guard stat(path, &st) == 0 else { throw TSDBError.io(path: path, errno: errno) }
    return Int64(st.st_size)
}

/// Names in a directory, sorted, without `.` and `..`.
public func listDirectory(_ path: String) throws -> [String] {
    guard let d = opendir(path) else { throw TSDBError.io(path: path, errno: errno) }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

public func makeDirectory(_ path: String) throws {
    if mkdir(path, 0o755) != 0 && errno != EEXIST { throw TSDBError.io(path: path, errno: errno) }
}

/// `mkdir -p`.
public func makeDirectories(_ path: String) throws {
    if isDirectory(path) { return }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
        try makeDirectories(String(path[..<slash]))
    }
    try makeDirectory(path)
}

/// `rm -rf`; missing paths are fine.
public func removeTree(_ path: String) throws {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        for n in try listDirectory(path) { try removeTree(path + "/" + n) }
        guard rmdir(path) == 0 else { throw TSDBError.io(path: path, errno: errno) }
    } else {
        guard unlink(path) == 0 else { throw TSDBError.io(path: path, errno: errno) }
    }
}

/// fsyncs a directory so a rename inside it is durable.
public func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY)
    if fd >= 0 { fsync(fd); close(fd) }
}
