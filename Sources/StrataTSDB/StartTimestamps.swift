/// Start timestamps (ST) of Prometheus 3.11+'s XOR2 (4), histogram ST (5) and float
/// histogram ST (6) chunks, bit-exact with Prometheus `tsdb/chunkenc/st.go` and `xor2.go`.
///
/// A one-byte ST header at byte 2 of the chunk says where ST data is: bit 7 set means the
/// first sample's ST follows its value (as a byte varint of `t − st`); bits 0–6 name the
/// sample index of the first ST change (0: none). From that sample on, every sample carries
/// a varbit: at the first change `prevT − st`, after it the change of that difference. The
/// index is capped at 127: the 127th sample starts the per-sample deltas even if ST did not
/// change, so the header stays valid for any later change.
///
/// Strata's engine does not use start timestamps; readers decode them so that the samples
/// around them are read correctly, and writers keep them when they re-encode a chunk.
enum StartTimestampHeader {
    static let offset = 2
    static let firstKnown: UInt8 = 0x80
    static let maxFirstChangeOn = 0x7F

    static func parse(_ b: UInt8) -> (firstKnown: Bool, firstChangeOn: Int) {
        (b & firstKnown != 0, Int(b & 0x7F))
    }
}

/// Writes the ST part of each sample (Prometheus `stEncoder.encode`, and the same rules
/// inlined in `xor2Appender.Append`).
struct StartTimestampEncoder: Sendable {
    private(set) var st: Int64 = 0
    private var stDiff: Int64 = 0
    private var firstChangeOn = 0

    /// Writes sample `index`'s ST after its value; `prevT` is the previous sample's time.
    mutating func encode(_ w: inout BitWriter, index: Int, t: Int64, prevT: Int64, st newST: Int64) {
        let at = StartTimestampHeader.offset
        switch index {
        case 0:
            if newST != 0 {
                w.writeVarintBytes(t &- newST)
                w.patch(at: at, w.bytes[at] | StartTimestampHeader.firstKnown)
            }
        case 1:
            if newST != st {
                stDiff = prevT &- newST
                firstChangeOn = 1
                w.patch(at: at, w.bytes[at] | 1)
                w.putVarbitInt(stDiff)
            }
        default:
            if firstChangeOn == 0 {
                if newST != st || index == StartTimestampHeader.maxFirstChangeOn {
                    stDiff = prevT &- newST
                    firstChangeOn = index
                    w.patch(at: at, w.bytes[at] | UInt8(index))
                    w.putVarbitInt(stDiff)
                }
            } else {
                let d = prevT &- newST
                w.putVarbitInt(d &- stDiff)
                stDiff = d
            }
        }
        st = newST
    }
}

/// Reads the ST part of each sample (Prometheus `stDecoder.decode`).
struct StartTimestampDecoder {
    let firstKnown: Bool
    let firstChangeOn: Int
    private(set) var st: Int64 = 0
    private var stDiff: Int64 = 0

    init(header: UInt8) {
        (firstKnown, firstChangeOn) = StartTimestampHeader.parse(header)
    }

    /// Reads sample `index`'s ST, if it has one; false on a malformed varint.
    @inline(__always)
    mutating func decode(_ r: inout BitReader, index: Int, t: Int64, prevT: Int64) -> Bool {
        switch index {
        case 0:
            if firstKnown {
                guard let d = r.readVarintBytes() else { return false }
                stDiff = d
                st = t &- d
            }
        case 1:
            if firstChangeOn == 1 {
                stDiff = r.readVarbitInt()
                st = prevT &- stDiff
            }
        default:
            if firstChangeOn > 0 && index >= firstChangeOn {
                let d = r.readVarbitInt()
                stDiff = index == firstChangeOn ? d : stDiff &+ d
                st = prevT &- stDiff
            }
        }
        return true
    }
}

extension BitWriter {
    /// A Go `binary.PutUvarint` written as whole bytes at the current bit position.
    mutating func writeUvarintBytes(_ v: UInt64) {
        var x = v
        while x >= 0x80 {
            writeByte(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        writeByte(UInt8(x))
    }

    /// A Go `binary.PutVarint` (zigzag) written as whole bytes.
    mutating func writeVarintBytes(_ v: Int64) {
        writeUvarintBytes(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }
}

extension BitReader {
    /// A Go uvarint read byte by byte from the bit stream; nil when malformed or cut.
    mutating func readUvarintBytes() -> UInt64? {
        var x: UInt64 = 0
        var s: UInt64 = 0
        for i in 0..<10 {
            let b = readBits(8)
            if overrun { return nil }
            if b < 0x80 {
                if i == 9 && b > 1 { return nil }
                return x | (b << s)
            }
            x |= (b & 0x7F) << s
            s += 7
        }
        return nil
    }

    /// A Go varint (zigzag) read byte by byte; nil when malformed or cut.
    mutating func readVarintBytes() -> Int64? {
        guard let ux = readUvarintBytes() else { return nil }
        let x = Int64(bitPattern: ux >> 1)
        return ux & 1 != 0 ? ~x : x
    }
}
