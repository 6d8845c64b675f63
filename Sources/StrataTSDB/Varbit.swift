/// The variable-bit integer encodings of histogram chunks (Prometheus `varbit.go`): a unary
/// prefix of up to eight 1 bits (ended by a 0 unless it is eight long) picks a payload of
/// 0, 3, 6, 9, 12, 18, 25, 56 or 64 bits. Signed values use the asymmetric two's-complement
/// range of the XOR timestamp encoding (−(2^(n−1)−1) … 2^(n−1)).
enum Varbit {
    /// Payload width per prefix length (number of leading 1 bits).
    static let widths: [Int] = [0, 3, 6, 9, 12, 18, 25, 56, 64]

    @inline(__always)
    static func signedFits(_ v: Int64, _ n: Int) -> Bool {
        -((Int64(1) << (n - 1)) - 1) <= v && v <= Int64(1) << (n - 1)
    }
}

extension BitWriter {
    mutating func putVarbitInt(_ v: Int64) {
        if v == 0 { write(0, 1); return }
        for k in 1...7 where Varbit.signedFits(v, Varbit.widths[k]) {
            write((1 << UInt64(k + 1)) - 2, k + 1)  // k ones, then a zero
            write(UInt64(bitPattern: v), Varbit.widths[k])
            return
        }
        write(0xFF, 8)
        write(UInt64(bitPattern: v), 64)
    }

    mutating func putVarbitUint(_ v: UInt64) {
        if v == 0 { write(0, 1); return }
        for k in 1...7 where v >> UInt64(Varbit.widths[k]) == 0 {
            write((1 << UInt64(k + 1)) - 2, k + 1)
            write(v, Varbit.widths[k])
            return
        }
        write(0xFF, 8)
        write(v, 64)
    }

    /// Gorilla XOR of a float against the previous value, with the shared leading/trailing
    /// window (`leading == 0xFF`: none yet). Identical to the XOR chunk's value encoding.
    mutating func putXOR(_ new: UInt64, _ old: UInt64, leading: inout UInt8, trailing: inout UInt8) {
        let delta = new ^ old
        if delta == 0 { write(0, 1); return }
        write(1, 1)
        var newLeading = UInt8(delta.leadingZeroBitCount)
        let newTrailing = UInt8(delta.trailingZeroBitCount)
        if newLeading >= 32 { newLeading = 31 }
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            write(0, 1)
            write(delta >> UInt64(trailing), 64 - Int(leading) - Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        write(1, 1)
        write(UInt64(newLeading), 5)
        let sig = 64 - Int(newLeading) - Int(newTrailing)
        write(UInt64(sig), 6)  // 64 wraps to 0, read back as 64
        write(delta >> UInt64(newTrailing), sig)
    }
}

extension BitReader {
    /// Length of the unary prefix (0…8).
    @inline(__always)
    mutating func varbitPrefix() -> Int {
        var k = 0
        while k < 8 {
            if !readBit() { break }
            k += 1
        }
        return k
    }

    /// Reads a signed varbit; sets `overrun` at the end of data.
    mutating func readVarbitInt() -> Int64 {
        let n = Varbit.widths[varbitPrefix()]
        if n == 0 { return 0 }
        let bits = readBits(n)
        if n == 64 { return Int64(bitPattern: bits) }
        if bits > UInt64(1) << UInt64(n - 1) { return Int64(bitPattern: bits &- (UInt64(1) << UInt64(n))) }
        return Int64(bitPattern: bits)
    }

    mutating func readVarbitUint() -> UInt64 {
        let n = Varbit.widths[varbitPrefix()]
        return n == 0 ? 0 : readBits(n)
    }

    /// Reads an XOR-encoded float into `value`; false when the stored window is invalid.
    mutating func readXOR(_ value: inout UInt64, leading: inout UInt8, trailing: inout UInt8) -> Bool {
        if !readBit() { return true }
        if readBit() {
            let l = Int(readBits(5))
            var m = Int(readBits(6))
            if m == 0 { m = 64 }
            guard l + m <= 64 else { return false }
            leading = UInt8(l)
            trailing = UInt8(64 - l - m)
        }
        let m = 64 - Int(leading) - Int(trailing)
        value ^= readBits(m) &<< UInt64(trailing)
        return true
    }

    /// Bits left to read (an upper bound used to reject absurd counts before allocating).
    var bitsRemaining: Int { (count - pos) * 8 + valid }
}
