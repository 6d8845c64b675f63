/// Appends float samples (with optional start timestamps) to an XOR2 chunk (encoding 4),
/// bit-exact with Prometheus 3.11+'s `xor2Appender` (spec: Prometheus
/// `tsdb/docs/format/chunks.md`, "XOR2 chunk data").
///
/// Samples 0 and 1 are written as in XOR. From sample 2 on, one prefix says both how the
/// timestamp moved and whether the value changed, so the common cases are one bit (same
/// interval, same value) or byte-aligned (a small jitter):
///
///     0      dod = 0, value unchanged
///     10     dod = 0, value changed     then <varbit_xor2_nn>: 0 reuse window, 1 new window
///     110    dod in 13 bits             then <varbit_xor2>
///     1110   dod in 20 bits             then <varbit_xor2>
///     11110  dod in 64 bits             then <varbit_xor2>
///     11111  dod = 0, stale marker
///
/// `<varbit_xor2>` is 0 (unchanged), 10 (reuse window), 110 (new window) or 111 (stale
/// marker). Values are XORed against the last value that was not a stale marker. The chunk
/// header is the 16-bit sample count and the start-timestamp byte (`StartTimestampHeader`).
public struct XOR2Appender: Sendable {
    private var w = BitWriter()
    public private(set) var count = 0
    private var t: Int64 = 0
    private var tDelta: Int64 = 0
    /// Bits of the last value that was not a stale marker (the XOR baseline).
    private var vbits: UInt64 = 0
    private var leading: UInt8 = 0xFF
    private var trailing: UInt8 = 0
    private var sts = StartTimestampEncoder()
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0

    public init() {
        w.write(0, 24)
    }

    /// Appends `v` at `t` with start timestamp `st` (0: none).
    public mutating func append(st: Int64 = 0, _ ts: Int64, _ v: Double) {
        let bits = v.bitPattern
        let stale = bits == staleNaNBits
        let prevT = t
        switch count {
        case 0:
            w.writeVarintBytes(ts)
            w.write(bits, 64)
            minTime = ts
        case 1:
            tDelta = ts &- t
            w.writeUvarintBytes(UInt64(bitPattern: tDelta))
            writeValue(bits)
        default:
            precondition(count < Int(UInt16.max), "XOR2 chunk capacity exceeded")
            let delta = ts &- t
            let dod = delta &- tDelta
            if dod == 0 {
                if stale {
                    w.write(0b11111, 5)
                } else if bits == vbits {
                    w.write(0, 1)
                } else {
                    w.write(0b10, 2)
                    writeChangedValue(bits ^ vbits)
                }
            } else {
                if dod >= -(1 << 12) && dod <= (1 << 12) - 1 {
                    w.write(0b110, 3); w.write(UInt64(bitPattern: dod), 13)
                } else if dod >= -(1 << 19) && dod <= (1 << 19) - 1 {
                    w.write(0b1110, 4); w.write(UInt64(bitPattern: dod), 20)
                } else {
                    w.write(0b11110, 5); w.write(UInt64(bitPattern: dod), 64)
                }
                writeValue(bits)
            }
            tDelta = delta
        }
        sts.encode(&w, index: count, t: ts, prevT: prevT, st: st)
        t = ts
        if !stale { vbits = bits }
        maxTime = ts
        count += 1
        w.patch(at: 0, UInt8(truncatingIfNeeded: count >> 8))
        w.patch(at: 1, UInt8(truncatingIfNeeded: count))
    }

    /// `<varbit_xor2>`: the value after a timestamp that moved (or of sample 1).
    private mutating func writeValue(_ bits: UInt64) {
        if bits == staleNaNBits { w.write(0b111, 3); return }
        let delta = bits ^ vbits
        if delta == 0 { w.write(0, 1); return }
        if let reuse = window(delta) {
            w.write(0b10, 2); w.write(reuse.bits, reuse.width)
        } else {
            w.write(0b110, 3); writeNewWindow(delta)
        }
    }

    /// `<varbit_xor2_nn>`: a changed value after an unchanged interval.
    private mutating func writeChangedValue(_ delta: UInt64) {
        if let reuse = window(delta) {
            w.write(0, 1); w.write(reuse.bits, reuse.width)
        } else {
            w.write(1, 1); writeNewWindow(delta)
        }
    }

    /// The delta's bits in the current leading/trailing window, if it fits there.
    private func window(_ delta: UInt64) -> (bits: UInt64, width: Int)? {
        var l = UInt8(delta.leadingZeroBitCount)
        if l >= 32 { l = 31 }
        guard leading != 0xFF, l >= leading, UInt8(delta.trailingZeroBitCount) >= trailing else { return nil }
        return (delta >> UInt64(trailing), 64 - Int(leading) - Int(trailing))
    }

    private mutating func writeNewWindow(_ delta: UInt64) {
        var l = UInt8(delta.leadingZeroBitCount)
        if l >= 32 { l = 31 }
        leading = l
        trailing = UInt8(delta.trailingZeroBitCount)
        let sig = 64 - Int(leading) - Int(trailing)
        w.write(UInt64(leading), 5)
        w.write(UInt64(sig), 6)  // 64 wraps to 0, read back as 64
        w.write(delta >> UInt64(trailing), sig)
    }

    /// The chunk bytes (headers included).
    public var bytes: [UInt8] { w.finished }
    public var byteCount: Int { (w.bitCount + 7) / 8 }
}

/// What the block verifier needs of XOR and XOR2 iterators.
protocol FloatChunkIterator {
    mutating func next() -> Bool
    var t: Int64 { get }
    var read: Int { get }
    var total: Int { get }
    var failed: Bool { get }
}

extension XORIterator: FloatChunkIterator {}

/// Iterates an XOR2 chunk's samples and start timestamps from borrowed bytes.
public struct XOR2Iterator: FloatChunkIterator {
    var r: BitReader
    public let total: Int
    public private(set) var read = 0
    public private(set) var t: Int64 = 0
    /// Bits of the current value.
    public private(set) var vbits: UInt64 = 0
    /// The current sample's start timestamp (0: none).
    public var st: Int64 { sts.st }
    /// Set when the data ended early or held a malformed field.
    public private(set) var failed = false
    private var baseline: UInt64 = 0
    private var tDelta: Int64 = 0
    private var leading = 0, trailing = 0
    private var sts: StartTimestampDecoder

    public init(_ chunk: UnsafeRawBufferPointer) {
        if chunk.count < 3 {
            total = 0
            failed = chunk.count != 0
            sts = StartTimestampDecoder(header: 0)
        } else {
            total = Int(chunk[0]) << 8 | Int(chunk[1])
            sts = StartTimestampDecoder(header: chunk[StartTimestampHeader.offset])
        }
        r = BitReader(chunk, offset: 3)
    }

    public var v: Double { Double(bitPattern: vbits) }

    /// Advances to the next sample; false at the end or on corrupt data (`failed`).
    public mutating func next() -> Bool {
        if read >= total || failed { return false }
        let prevT = t
        switch read {
        case 0:
            guard let t0 = r.readVarintBytes() else { failed = true; return false }
            t = t0
            vbits = r.readBits(64)
            if vbits != staleNaNBits { baseline = vbits }
        case 1:
            guard let d = r.readUvarintBytes() else { failed = true; return false }
            tDelta = Int64(bitPattern: d)
            t &+= tDelta
            readValue()
        default:
            // The joint prefix is read from the look-ahead window at once (the common case,
            // `0`, costs one shift).
            r.fill()
            let top = r.acc
            if top >> 63 == 0 {
                r.skip(1)
                t &+= tDelta
                vbits = baseline
            } else if top >> 62 == 0b10 {
                r.skip(2)
                t &+= tDelta
                readChangedValue()
            } else if top >> 61 == 0b110 {
                r.skip(3)
                readDod(13)
                readValue()
            } else if top >> 60 == 0b1110 {
                r.skip(4)
                readDod(20)
                readValue()
            } else if top >> 59 == 0b11110 {
                r.skip(5)
                readDod(64)
                readValue()
            } else {
                r.skip(5)
                t &+= tDelta
                vbits = staleNaNBits
            }
        }
        if !sts.decode(&r, index: read, t: t, prevT: prevT) || r.overrun { failed = true }
        if failed { return false }
        read += 1
        return true
    }

    /// A two's-complement delta-of-delta of `n` bits.
    @inline(__always)
    private mutating func readDod(_ n: Int) {
        let b = r.readBits(n)
        let dod = n == 64 || b < 1 << UInt64(n - 1) ? Int64(bitPattern: b) : Int64(bitPattern: b &- (1 << UInt64(n)))
        tDelta &+= dod
        t &+= tDelta
    }

    /// `<varbit_xor2>`.
    @inline(__always)
    private mutating func readValue() {
        r.fill()
        let top = r.acc
        if top >> 63 == 0 { r.skip(1); vbits = baseline; return }
        if top >> 62 == 0b10 { r.skip(2); readWindowed(); return }
        r.skip(3)
        if top >> 61 == 0b110 { readNewWindow(); return }
        vbits = staleNaNBits
    }

    /// `<varbit_xor2_nn>`.
    @inline(__always)
    private mutating func readChangedValue() {
        if !r.readBit() { readWindowed() } else { readNewWindow() }
    }

    private mutating func readNewWindow() {
        leading = Int(r.readBits(5))
        var sig = Int(r.readBits(6))
        if sig == 0 { sig = 64 }
        guard leading + sig <= 64 else { failed = true; return }
        trailing = 64 - leading - sig
        readWindowed()
    }

    @inline(__always)
    private mutating func readWindowed() {
        vbits = baseline ^ (r.readBits(64 - leading - trailing) &<< UInt64(trailing))
        baseline = vbits
    }
}

/// Decodes a whole XOR2 chunk into parallel arrays (appending), dropping start timestamps.
/// Throws on corrupt data.
public func decodeXOR2(_ chunk: UnsafeRawBufferPointer, into ts: inout [Int64], _ vs: inout [Double]) throws {
    var it = XOR2Iterator(chunk)
    ts.reserveCapacity(ts.count + it.total)
    vs.reserveCapacity(vs.count + it.total)
    while it.next() {
        ts.append(it.t)
        vs.append(it.v)
    }
    if it.failed { throw DecodeError.invalid(offset: 0, "corrupt XOR2 chunk after \(it.read) of \(it.total) samples") }
}
