/// MSB-first bit writer for XOR chunks (Prometheus `bstream`). Bits are gathered in a 64-bit
/// accumulator and flushed a byte at a time, so appending a sample touches no per-bit state.
public struct BitWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var acc: UInt64 = 0
    /// Bits held in `acc` (left-aligned at bit 63), always < 8 between calls.
    private var nacc: Int = 0

    public init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    /// Writes the low `n` bits of `v` (1 ≤ n ≤ 64), most significant first.
    @inline(__always)
    public mutating func write(_ v: UInt64, _ n: Int) {
        if n > 32 {
            write(v >> 32, n - 32)
            write(v & 0xFFFF_FFFF, 32)
            return
        }
        let masked = n == 64 ? v : v & ((1 << UInt64(n)) &- 1)
        acc |= masked << UInt64(64 - nacc - n)
        nacc += n
        while nacc >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: acc >> 56))
            acc <<= 8
            nacc -= 8
        }
    }

    @inline(__always)
    public mutating func writeBit(_ one: Bool) { write(one ? 1 : 0, 1) }

    public mutating func writeByte(_ b: UInt8) { write(UInt64(b), 8) }

    /// Bytes written so far, with the last partial byte zero-padded.
    public var finished: [UInt8] {
        var out = bytes
        if nacc > 0 { out.append(UInt8(truncatingIfNeeded: acc >> 56)) }
        return out
    }

    public mutating func patch(at i: Int, _ b: UInt8) { bytes[i] = b }
    public var bitCount: Int { bytes.count * 8 + nacc }
}

/// MSB-first bit reader over borrowed bytes with a 64-bit look-ahead window. Reading past
/// the end sets `overrun` and returns zeros instead of trapping, so callers check once per
/// sample rather than per bit.
public struct BitReader {
    @usableFromInline let base: UnsafePointer<UInt8>?
    @usableFromInline let count: Int
    @usableFromInline var pos: Int
    /// Unread bits, left-aligned; bits below `valid` are either zero or the next bytes' bits.
    public internal(set) var acc: UInt64 = 0
    @usableFromInline var valid: Int = 0
    public var overrun = false

    public init(_ buf: UnsafeRawBufferPointer, offset: Int = 0) {
        base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self)
        count = buf.count
        pos = offset
    }

    @inline(__always) @usableFromInline
    mutating func refill() {
        guard let base else { return }
        if pos + 8 <= count {
            let w = UInt64(bigEndian: UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self))
            acc |= w &>> UInt64(valid)
            let take = (64 - valid) >> 3
            pos += take
            valid += take << 3
        } else {
            while valid <= 56 && pos < count {
                acc |= UInt64(base[pos]) &<< UInt64(56 - valid)
                valid += 8
                pos += 1
            }
        }
    }

    /// Tops the window up to at least 57 bits when the data has them.
    @inline(__always)
    public mutating func fill() {
        if valid <= 56 { refill() }
    }

    /// Drops `n` (≤ 8) bits that `fill` made available and the caller has already looked at
    /// through `acc`.
    @inline(__always)
    public mutating func skip(_ n: Int) {
        if valid < n { overrun = true; return }
        acc &<<= UInt64(n)
        valid -= n
    }

    @inline(__always)
    public mutating func readBit() -> Bool {
        if valid == 0 {
            refill()
            if valid == 0 { overrun = true; return false }
        }
        let b = acc &>> 63
        acc &<<= 1
        valid -= 1
        return b == 1
    }

    /// Reads `n` bits (0 ≤ n ≤ 64).
    @inline(__always)
    public mutating func readBits(_ n: Int) -> UInt64 {
        if n == 0 { return 0 }
        if n > 56 {
            let hi = readBits(n - 32)
            return (hi &<< 32) | readBits(32)
        }
        if valid < n {
            refill()
            if valid < n { overrun = true; return 0 }
        }
        let v = acc &>> UInt64(64 - n)
        acc &<<= UInt64(n)
        valid -= n
        return v
    }
}
