import CCRC32C

/// CRC-32C (Castagnoli), the checksum of every TSDB index section, chunk record and
/// tombstones file: the CPU's CRC32 instruction where it has one (SSE 4.2), else
/// slicing-by-8 tables (about 1–2 GB/s).
public enum CRC32C {
    static let hardware = strata_crc32c_hardware() == 1

    static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t
    }()
    static let flat: [UInt32] = tables.flatMap { $0 }

    /// Continues a CRC over `buf` (start with `crc = 0`).
    public static func update(_ crc: UInt32, _ buf: UnsafeRawBufferPointer) -> UInt32 {
        if hardware { return strata_crc32c_update(crc, buf.baseAddress, buf.count) }
        return software(crc, buf)
    }

    /// The table-driven CRC (CPUs without the instruction; tests check both agree).
    static func software(_ crc: UInt32, _ buf: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        let n = buf.count
        guard n > 0, let base = buf.baseAddress else { return crc }
        var i = 0
        flat.withUnsafeBufferPointer { t in
            while i + 8 <= n {
                let lo = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    public static func checksum(_ buf: UnsafeRawBufferPointer) -> UInt32 { update(0, buf) }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }

    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
