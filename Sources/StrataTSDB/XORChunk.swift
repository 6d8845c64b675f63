/// The Prometheus stale marker NaN (`value.StaleNaN`). Compare bit patterns, never values.
public let staleNaNBits: UInt64 = 0x7FF0_0000_0000_0002
public let staleNaN = Double(bitPattern: staleNaNBits)

@inlinable public func isStaleNaN(_ v: Double) -> Bool { v.bitPattern == staleNaNBits }

/// Appends float samples to a Gorilla/XOR chunk, bit-exact with Prometheus's `XORChunk`
/// (spec: chunk-encodings.md §3). A fresh chunk starts with an unset XOR window.
public struct XORAppender: Sendable {
    private var w = BitWriter()
    public private(set) var count = 0
    private var t: Int64 = 0
    private var vbits: UInt64 = 0
    private var tDelta: UInt64 = 0
    private var leading: UInt8 = 0xFF
    private var trailing: UInt8 = 0
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0

    public init() {
        w.write(0, 16)
    }

    public mutating func append(_ ts: Int64, _ v: Double) {
        appendBits(ts, v.bitPattern)
    }

    public mutating func appendBits(_ ts: Int64, _ bits: UInt64) {
        if count == 0 {
            w.writeVarintBytes(ts)
            w.write(bits, 64)
            minTime = ts
        } else if count == 1 {
            tDelta = UInt64(bitPattern: ts &- t)
            w.writeUvarintBytes(tDelta)
            writeXOR(bits)
        } else {
            let delta = UInt64(bitPattern: ts &- t)
            let dod = Int64(bitPattern: delta &- tDelta)
            if dod == 0 {
                w.write(0, 1)
            } else if bitRange(dod, 14) {
                w.write(0b10, 2); w.write(UInt64(bitPattern: dod), 14)
            } else if bitRange(dod, 17) {
                w.write(0b110, 3); w.write(UInt64(bitPattern: dod), 17)
            } else if bitRange(dod, 20) {
                w.write(0b1110, 4); w.write(UInt64(bitPattern: dod), 20)
            } else {
                w.write(0b1111, 4); w.write(UInt64(bitPattern: dod), 64)
            }
            tDelta = delta
            writeXOR(bits)
        }
        t = ts
        vbits = bits
        maxTime = ts
        count += 1
        w.patch(at: 0, UInt8(truncatingIfNeeded: count >> 8))
        w.patch(at: 1, UInt8(truncatingIfNeeded: count))
    }

    @inline(__always)
    private func bitRange(_ x: Int64, _ nbits: Int64) -> Bool {
        -((1 << (nbits - 1)) - 1) <= x && x <= 1 << (nbits - 1)
    }

    private mutating func writeXOR(_ bits: UInt64) {
        let delta = bits ^ vbits
        if delta == 0 {
            w.write(0, 1)
            return
        }
        w.write(1, 1)
        var newLeading = UInt8(delta.leadingZeroBitCount)
        let newTrailing = UInt8(delta.trailingZeroBitCount)
        if newLeading >= 32 { newLeading = 31 }
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            w.write(0, 1)
            w.write(delta >> UInt64(trailing), 64 - Int(leading) - Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        w.write(1, 1)
        w.write(UInt64(newLeading), 5)
        let sig = 64 - Int(newLeading) - Int(newTrailing)
        w.write(UInt64(sig), 6)  // 64 wraps to 0 in 6 bits, as the format expects
        w.write(delta >> UInt64(newTrailing), sig)
    }

    /// The chunk bytes (count header included).
    public var bytes: [UInt8] { w.finished }
}

/// Iterates an XOR chunk's samples from borrowed bytes. The caller keeps the bytes alive.
public struct XORIterator {
    @usableFromInline var r: BitReader
    public let total: Int
    public private(set) var read = 0
    public private(set) var t: Int64 = 0
    public private(set) var vbits: UInt64 = 0
    @usableFromInline var tDelta: UInt64 = 0
    @usableFromInline var leading: Int = 0
    @usableFromInline var trailing: Int = 0
    /// Set when the data ended early or held a malformed field.
    public private(set) var failed = false

    public init(_ chunk: UnsafeRawBufferPointer) {
        if chunk.count < 2 {
            total = 0
            failed = chunk.count != 0
        } else {
            total = Int(chunk[0]) << 8 | Int(chunk[1])
        }
        r = BitReader(chunk, offset: 2)
    }

    public var v: Double { Double(bitPattern: vbits) }

    /// Advances to the next sample; false at the end or on corrupt data (`failed`).
    @inline(__always)
    public mutating func next() -> Bool {
        if read >= total || failed { return false }
        if read < 2 { return nextHead() }
        // Timestamp: the delta-of-delta prefix is read from the look-ahead window at once
        // instead of bit by bit (the common case, dod == 0, costs one shift).
        r.fill()
        let top = r.acc
        var dod: Int64 = 0
        if top >> 63 == 0 {
            r.skip(1)
        } else if top >> 62 == 0b10 {
            r.skip(2)
            dod = signExtend(r.readBits(14), 14)
        } else if top >> 61 == 0b110 {
            r.skip(3)
            dod = signExtend(r.readBits(17), 17)
        } else if top >> 60 == 0b1110 {
            r.skip(4)
            dod = signExtend(r.readBits(20), 20)
        } else {
            r.skip(4)
            dod = Int64(bitPattern: r.readBits(64))
        }
        tDelta = tDelta &+ UInt64(bitPattern: dod)
        t = t &+ Int64(bitPattern: tDelta)
        readValue()
        if r.overrun { failed = true; return false }
        read += 1
        return true
    }

    /// Sample 0 (varint t, raw value) and sample 1 (uvarint delta, XOR value).
    mutating func nextHead() -> Bool {
        if read == 0 {
            guard let t0 = r.readVarintBytes() else { failed = true; return false }
            t = t0
            vbits = r.readBits(64)
        } else {
            guard let d = r.readUvarintBytes() else { failed = true; return false }
            tDelta = d
            t = t &+ Int64(bitPattern: tDelta)
            readValue()
        }
        if r.overrun { failed = true; return false }
        read += 1
        return true
    }

    /// Two's-complement value of the low `n` bits (the format's asymmetric range: values above
    /// 2^(n-1) are negative).
    @inline(__always)
    func signExtend(_ bits: UInt64, _ n: Int) -> Int64 {
        bits > (1 << UInt64(n - 1)) ? Int64(bitPattern: bits &- (1 << UInt64(n))) : Int64(bitPattern: bits)
    }

    @inline(__always)
    mutating func readValue() {
        r.fill()
        let top = r.acc
        if top >> 63 == 0 { r.skip(1); return }
        if top >> 62 == 0b11 {
            r.skip(2)
            leading = Int(r.readBits(5))
            var m = Int(r.readBits(6))
            if m == 0 { m = 64 }
            trailing = 64 - leading - m
            if trailing < 0 { failed = true; r.overrun = true; return }
        } else {
            r.skip(2)
        }
        let m = 64 - leading - trailing
        vbits ^= r.readBits(m) &<< UInt64(trailing)
    }
}

/// Decodes a whole XOR chunk into parallel arrays (appending). Throws on corrupt data.
public func decodeXOR(_ chunk: UnsafeRawBufferPointer, into ts: inout [Int64], _ vs: inout [Double]) throws {
    var it = XORIterator(chunk)
    ts.reserveCapacity(ts.count + it.total)
    vs.reserveCapacity(vs.count + it.total)
    while it.next() {
        ts.append(it.t)
        vs.append(Double(bitPattern: it.vbits))
    }
    if it.failed { throw DecodeError.invalid(offset: 0, "corrupt XOR chunk after \(it.read) of \(it.total) samples") }
}
