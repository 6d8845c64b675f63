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
