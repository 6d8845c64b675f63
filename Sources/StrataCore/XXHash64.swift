/// XXH64 with seed 0 (Go's cespare/xxhash `Sum64`), for label-set hashes that must equal
/// Prometheus's and Thanos's: `limit_ratio` picks series by where `labels.Hash()` falls, and
/// Store API shards (`SeriesShard`) split series by the same hash of chosen labels.
public enum XXHash64 {
    static let p1: UInt64 = 11_400_714_785_074_694_791
    static let p2: UInt64 = 14_029_467_366_897_019_727
    static let p3: UInt64 = 1_609_587_929_392_839_161
    static let p4: UInt64 = 9_650_029_242_287_828_579
    static let p5: UInt64 = 2_870_177_450_012_600_261

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { rotl(acc &+ input &* p2, 31) &* p1 }
    @inline(__always) static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 { (acc ^ round(0, val)) &* p1 &+ p4 }

    public static func hash(_ b: [UInt8]) -> UInt64 {
        b.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ buf: UnsafeRawBufferPointer) -> UInt64 {
        do {
            let n = buf.count
            func u64(_ i: Int) -> UInt64 { UInt64(littleEndian: buf.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
            func u32(_ i: Int) -> UInt64 { UInt64(UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: i, as: UInt32.self))) }
            var i = 0
            var h: UInt64
            if n >= 32 {
                var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
                while n - i >= 32 {
                    v1 = round(v1, u64(i))
                    v2 = round(v2, u64(i + 8))
                    v3 = round(v3, u64(i + 16))
                    v4 = round(v4, u64(i + 24))
                    i += 32
                }
                h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
                h = merge(h, v1)
                h = merge(h, v2)
                h = merge(h, v3)
                h = merge(h, v4)
            } else {
                h = p5
            }
            h = h &+ UInt64(n)
            while n - i >= 8 {
                h ^= round(0, u64(i))
                h = rotl(h, 27) &* p1 &+ p4
                i += 8
            }
            if n - i >= 4 {
                h ^= u32(i) &* p1
                h = rotl(h, 23) &* p2 &+ p3
                i += 4
            }
            while i < n {
                h ^= UInt64(buf[i]) &* p5
                h = rotl(h, 11) &* p1
                i += 1
            }
            h ^= h >> 33
            h = h &* p2
            h ^= h >> 29
            h = h &* p3
            h ^= h >> 32
            return h
        }
    }
}

extension Labels {
    /// Prometheus's `labels.Hash()`: XXH64 of each name and value followed by 0xff.
    public var prometheusHash: UInt64 { hash(where: { _ in true }) }

    /// XXH64 of the names and values of the labels `keep` accepts, each followed by 0xff
    /// (Prometheus `HashForLabels`, Thanos `ShardMatcher`).
    public func hash(where keep: (String) -> Bool) -> UInt64 {
        var b: [UInt8] = []
        for p in pairs where keep(p.name) {
            b.append(contentsOf: p.name.utf8)
            b.append(0xFF)
            b.append(contentsOf: p.value.utf8)
            b.append(0xFF)
        }
        return XXHash64.hash(b)
    }
}
