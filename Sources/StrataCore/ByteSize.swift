import Foundation

/// Sizes as Thanos writes them in cache configs (`ParseBase2Bytes`): `250MB`, `1GiB`,
/// `512KB`, `1024`; KB/MB/GB/TB are powers of 1024.
public func parseByteSize(_ s: String) throws -> Int {
    let t = s.trimmingCharacters(in: .whitespaces).uppercased()
    let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("TIB", 1 << 40),
                                  ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40), ("B", 1)]
    for (u, mult) in units where t.hasSuffix(u) {
        if let n = Int(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), n >= 0 { return n * mult }
        break
    }
    if let n = Int(t), n >= 0 { return n }
    throw ConfigError("\"\(s)\" is not a size like 250MB")
}

/// A size for messages: `512 B`, `3.2 MiB`, `1.5 GiB` (powers of 1024).
public func formatByteSize(_ n: Int) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB"]
    if n < 1024 { return "\(n) B" }
    var v = Double(n) / 1024
    var u = 0
    while v >= 1024 && u < units.count - 1 {
        v /= 1024
        u += 1
    }
    return String(format: "%.1f %@", v, units[u])
}
