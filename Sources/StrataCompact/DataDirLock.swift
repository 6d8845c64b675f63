import Foundation
import StrataCore

/// `s` with everything but letters, digits, `-`, `_` and `=` replaced by `_`: usable as a
/// file or object name (group keys as scratch directories).
func fileSafeName(_ s: String) -> String {
    String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "=" ? $0 : "_" })
}

/// An exclusive `flock(2)` on `<data-dir>/strata-compact.lock`: two compactors on one machine
/// must not share a scratch directory, whatever bucket they point at. Released by the
/// kernel when the process dies.
public final class DataDirLock: Sendable {
    public static let fileName = "strata-compact.lock"
    private let fd: Int32

    public init(dataDir: String) throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = dataDir + "/" + Self.fileName
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConfigError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw CompactorLockError.dataDirInUse(dataDir)
        }
    }

    deinit { close(fd) }
}
