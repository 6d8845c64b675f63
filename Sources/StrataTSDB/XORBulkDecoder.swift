/// Decodes a whole XOR chunk in one loop with all state in registers — the path for readers
/// that want a chunk's samples as arrays (store gateway, querier, dump). Same format and
/// results as `XORIterator`, but bits are read by absolute position: each field is a shift of
/// one unaligned 8-byte load, so there is no bit-window state to keep in step, and the
/// bounds check is one comparison per sample against a 32-byte margin (the longest sample is
/// 145 bits). The last bytes of a chunk are decoded from a zero-padded copy.
public enum XORBulkDecoder {
    /// Decodes into `ts`/`vbits` (capacity ≥ the chunk's sample count, see `sampleCount`).
    /// Returns the number of samples, or -1 when the data is corrupt or truncated.
    public static func decode(_ chunk: UnsafeRawBufferPointer, ts: UnsafeMutablePointer<Int64>,
                              vbits: UnsafeMutablePointer<UInt64>) -> Int {
        if chunk.count == 1 { return -1 }
        let total = sampleCount(chunk)
        if total == 0 { return 0 }
        // The first two samples use byte-aligned varints: let the iterator do them.
        var head = XORIterator(chunk)
        guard head.next() else { return -1 }
        ts[0] = head.t
        vbits[0] = head.vbits
        if total == 1 { return 1 }
        guard head.next() else { return -1 }
        ts[1] = head.t
        vbits[1] = head.vbits
        var s = State(t: head.t, delta: head.tDelta, v: head.vbits, leading: head.leading,
                      trailing: head.trailing, bit: head.r.pos * 8 - head.r.valid, i: 2)
        let base = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // Fast part: every load of a sample lies inside the chunk.
        guard run(&s, base, limitBit: (chunk.count - margin) * 8, total: total, ts, vbits) else { return -1 }
        if s.i == total { return total }
        // Tail: the remaining bytes, copied behind a zero pad.
        let from = s.bit >> 3
        let rest = chunk.count - from
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rest + 2 * margin) { tmp in
            let p = tmp.baseAddress!
            p.initialize(repeating: 0, count: rest + 2 * margin)
            p.update(from: base + from, count: rest)
            s.bit -= from * 8
            guard run(&s, p, limitBit: rest * 8, total: total, ts, vbits), s.i == total,
                  s.bit <= rest * 8 else { return -1 }
            return total
        }
    }

    /// Bytes kept between a sample's first bit and the end of readable memory.
    static let margin = 32

    struct State {
        var t: Int64
        var delta: UInt64
        var v: UInt64
        var leading: Int
        var trailing: Int
        var bit: Int
        var i: Int
    }

    /// 64 bits starting at bit `bit` (needs 9 readable bytes from `bit >> 3`).
    @inline(__always)
    static func peek(_ p: UnsafePointer<UInt8>, _ bit: Int) -> UInt64 {
        let byte = bit >> 3, sh = UInt64(bit & 7)
        let w = UInt64(bigEndian: UnsafeRawPointer(p + byte).loadUnaligned(as: UInt64.self))
        return w &<< sh | UInt64(p[byte + 8]) &>> (8 &- sh)
    }

    /// At least 57 bits starting at bit `bit` (8 readable bytes from `bit >> 3`).
    @inline(__always)
    static func window(_ p: UnsafePointer<UInt8>, _ bit: Int) -> UInt64 {
        UInt64(bigEndian: UnsafeRawPointer(p + (bit >> 3)).loadUnaligned(as: UInt64.self)) &<< UInt64(bit & 7)
    }

    /// Decodes samples while the next one starts before `limitBit`; false on a malformed field.
    /// Not inlined: one copy serves the chunk and its tail, with the registers to itself.
    @inline(never)
    static func run(_ s: inout State, _ p: UnsafePointer<UInt8>, limitBit: Int, total: Int,
                    _ ts: UnsafeMutablePointer<Int64>, _ vbits: UnsafeMutablePointer<UInt64>) -> Bool {
        // The value window is kept as its width and shift (what decoding needs), not as
        // leading/trailing zeros.
        var t = s.t, delta = s.delta, v = s.v, width = 64 &- s.leading &- s.trailing, trailing = s.trailing
        var bit = s.bit, i = s.i
        defer {
            s = State(t: t, delta: delta, v: v, leading: 64 &- width &- trailing, trailing: trailing, bit: bit, i: i)
        }
        while i < total && bit < limitBit {
            // One window serves the timestamp (≤ 24 bits but for the rare 64-bit case) and the
            // value's control bits (≤ 13), so only the value's own bits need a second load,
            // and that load is off the chain from one sample's position to the next.
            var w = window(p, bit)
            if w >> 63 != 0 {
                // 10+14 bits, 110+17, 1110+20, 1111+64: the prefix is the count of leading ones.
                let ones = (~w).leadingZeroBitCount
                if ones < 4 {
                    let n = 11 &+ 3 &* ones, len = n &+ ones &+ 1
                    let raw = (w &<< UInt64(ones &+ 1)) &>> UInt64(64 &- n)
                    let half: UInt64 = 1 &<< UInt64(n &- 1)
                    delta &+= raw > half ? raw &- (half &<< 1) : raw
                    bit &+= len
                    w &<<= UInt64(len)
                } else {
                    delta &+= peek(p, bit &+ 4)
                    bit &+= 68
                    w = window(p, bit)
                }
            } else {
                if w >> 62 == 0 {
                    // A run of zero bits is a run of samples with the same interval and value
                    // (steady scrapes of an unchanged gauge): emit them all at once. The window
                    // holds at least 56 bits of data, so the run is cut there.
                    let k = min(min(w.leadingZeroBitCount, 56) >> 1, total &- i)
                    for j in 0..<k {
                        t &+= Int64(bitPattern: delta)
                        ts[i &+ j] = t
                        vbits[i &+ j] = v
                    }
                    i &+= k
                    bit &+= k &<< 1
                    continue
                }
                bit &+= 1
                w &<<= 1
            }
            t &+= Int64(bitPattern: delta)
            // Value: 0 (unchanged) | 10 + bits in the previous window | 11 + 5 bits leading,
            // 6 bits length, bits.
            if w >> 63 != 0 {
                if w >> 62 == 0b11 {
                    let leading = Int(truncatingIfNeeded: (w &>> 57) & 31)
                    let len = Int(truncatingIfNeeded: (w &>> 51) & 63)
                    width = len == 0 ? 64 : len
                    trailing = 64 &- leading &- width
                    if trailing < 0 { return false }
                    v ^= (peek(p, bit &+ 13) &>> UInt64(64 &- width)) &<< UInt64(trailing)
                    bit &+= 13 &+ width
                } else {
                    v ^= (peek(p, bit &+ 2) &>> UInt64(64 &- width)) &<< UInt64(trailing)
                    bit &+= 2 &+ width
                }
            } else {
                bit &+= 1
            }
            ts[i] = t
            vbits[i] = v
            i &+= 1
        }
        return true
    }

    /// The sample count in the chunk header.
    @inlinable
    public static func sampleCount(_ chunk: UnsafeRawBufferPointer) -> Int {
        chunk.count < 2 ? 0 : Int(chunk[0]) << 8 | Int(chunk[1])
    }
}

extension XORBulkDecoder {
    /// Appends every sample of an XOR chunk to `ts`/`vs` (the readers' and the querier's way to
    /// turn chunks into columns). Returns the number appended, or nil — arrays unchanged — when
    /// the chunk is corrupt or truncated.
    public static func append(_ data: UnsafeRawBufferPointer, to ts: inout [Int64], _ vs: inout [Double]) -> Int? {
        let total = sampleCount(data)
        let start = ts.count
        ts.append(contentsOf: repeatElement(0, count: total))
        vs.append(contentsOf: repeatElement(0, count: total))
        let n = ts.withUnsafeMutableBufferPointer { tb in
            vs.withUnsafeMutableBufferPointer { vb in
                vb.baseAddress!.withMemoryRebound(to: UInt64.self, capacity: vb.count) { vp in
                    decode(data, ts: tb.baseAddress! + start, vbits: vp + start)
                }
            }
        }
        guard n >= 0 else {
            ts.removeLast(total)
            vs.removeLast(total)
            return nil
        }
        if n < total {
            ts.removeLast(total - n)
            vs.removeLast(total - n)
        }
        return n
    }
}
