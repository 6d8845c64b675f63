import Testing
import Foundation
@testable import StrataTSDB

@Suite struct XORChunkTests {
    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined(separator: " ") }

    func roundTrip(_ samples: [(Int64, UInt64)]) throws -> [UInt8] {
        var a = XORAppender()
        for (t, v) in samples { a.appendBits(t, v) }
        let bytes = a.bytes
        var got: [(Int64, UInt64)] = []
        bytes.withUnsafeBytes { buf in
            var it = XORIterator(buf)
            while it.next() { got.append((it.t, it.vbits)) }
            #expect(!it.failed)
        }
        #expect(got.count == samples.count)
        // The bulk decoder must agree with the iterator sample for sample.
        var bt = [Int64](repeating: 0, count: 65536), bv = [UInt64](repeating: 0, count: 65536)
        let n = bytes.withUnsafeBytes { XORBulkDecoder.decode($0, ts: &bt, vbits: &bv) }
        #expect(n == samples.count)
        for i in 0..<max(0, n) where bt[i] != samples[i].0 || bv[i] != samples[i].1 {
            Issue.record("bulk decode differs at \(i)")
            break
        }
        for (g, s) in zip(got, samples) {
            #expect(g.0 == s.0)
            #expect(g.1 == s.1)
        }
        return bytes
    }

    @Test func specWorkedExample() throws {
        let b = try roundTrip([(1000, 1.0.bitPattern), (2000, 1.0.bitPattern), (3000, 2.0.bitPattern),
                               (4010, 2.0.bitPattern), (5010, staleNaNBits)])
        #expect(hex(b) == "00 05 d0 0f 3f f0 00 00 00 00 00 00 e8 07 30 97 ff e0 02 97 fe d8 bd ff c0 00 00 00 00 00 08")
        var rec = [UInt8(1)] + b
        #expect(CRC32C.checksum(rec) == 0x35F8_6542)
        rec.removeAll()
    }

    @Test func crcVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.software(0, UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    /// The CPU-instruction CRC and the tables agree at every length, alignment and split.
    @Test func crcHardwareMatchesTables() {
        var rng = SplitMix(seed: 5)
        let bytes = (0..<4100).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes.withUnsafeBytes { all in
            for len in [0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096] {
                for off in 0..<4 {
                    let b = UnsafeRawBufferPointer(rebasing: all[off..<(off + len)])
                    let whole = CRC32C.software(0, b)
                    #expect(CRC32C.checksum(b) == whole)
                    let cut = len / 3
                    let split = CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: b[0..<cut])),
                                              UnsafeRawBufferPointer(rebasing: b[cut...]))
                    #expect(split == whole)
                }
            }
        }
    }

    @Test func edgeValuesAndDeltas() throws {
        let specials: [UInt64] = [
            Double.nan.bitPattern, 0x7FF8_0000_0000_0001, staleNaNBits, Double.infinity.bitPattern,
            (-Double.infinity).bitPattern, 0, (-0.0).bitPattern, Double.greatestFiniteMagnitude.bitPattern,
            Double.leastNonzeroMagnitude.bitPattern, 1, UInt64.max,
        ]
        var samples: [(Int64, UInt64)] = []
        var t: Int64 = -5_000_000_000_000
        let deltas: [Int64] = [1, 15000, 15000, 8193, -8191, 65537, -65535, 524289, -524287, 1 << 40, -(1 << 41), 0, 7]
        for i in 0..<240 {
            t = t &+ deltas[i % deltas.count]
            samples.append((t, specials[i % specials.count]))
        }
        _ = try roundTrip(samples)
        _ = try roundTrip([(Int64.min, 1), (Int64.max, 2), (0, 3)])
        _ = try roundTrip([(42, 3.5.bitPattern)])
        _ = try roundTrip([])
    }

    @Test func randomWalksRoundTrip() throws {
        var rng = SplitMix(seed: 7)
        for _ in 0..<200 {
            var samples: [(Int64, UInt64)] = []
            var t = Int64(rng.next() % 1_000_000_000)
            var v = Double(rng.next() % 1000)
            for _ in 0..<(1 + Int(rng.next() % 200)) {
                t += Int64(rng.next() % 30_000)
                v += Double(Int(rng.next() % 100) - 50) / 8
                samples.append((t, v.bitPattern))
            }
            _ = try roundTrip(samples)
        }
    }

    /// Steady scrapes of unchanged values are runs of zero bits that the bulk decoder takes
    /// many samples at a time; runs of every length, cut by changes, must decode exactly.
    @Test func steadyRunsRoundTrip() throws {
        var rng = SplitMix(seed: 11)
        for _ in 0..<100 {
            var samples: [(Int64, UInt64)] = []
            var t: Int64 = 1_700_000_000_000
            var v = 5.0
            while samples.count < 600 {
                let run = Int(rng.next() % 90)
                for _ in 0..<run { t += 15_000; samples.append((t, v.bitPattern)) }
                if rng.next() % 2 == 0 { t += Int64(rng.next() % 7) }
                if rng.next() % 3 != 0 { v += Double(rng.next() % 5) }
                t += 15_000
                samples.append((t, v.bitPattern))
            }
            _ = try roundTrip(samples)
        }
    }

    /// On any damaged chunk the bulk decoder gives what the iterator gives: the same samples,
    /// or a failure — never a crash or a read outside the chunk.
    @Test func damagedChunksAgreeWithIterator() throws {
        var rng = SplitMix(seed: 3)
        var bt = [Int64](repeating: 0, count: 65536), bv = [UInt64](repeating: 0, count: 65536)
        for round in 0..<2000 {
            var a = XORAppender()
            var t: Int64 = 0
            for k in 0..<120 {
                t += 15_000 + Int64(rng.next() % 3)
                a.append(t, round % 2 == 0 ? Double(k / 10) : Double(rng.next() % 1000) / 4)
            }
            var bytes = a.bytes
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = 2 + Int(rng.next() % UInt64(bytes.count - 2))
                bytes[i] ^= UInt8(truncatingIfNeeded: 1 &<< (rng.next() % 8))
            }
            if rng.next() % 4 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count / 2))) }
            bytes.withUnsafeBytes { buf in
                var it = XORIterator(buf)
                var got: [(Int64, UInt64)] = []
                while it.next() { got.append((it.t, it.vbits)) }
                let n = XORBulkDecoder.decode(buf, ts: &bt, vbits: &bv)
                if it.failed {
                    #expect(n == -1, "round \(round): iterator failed, bulk decoded \(n)")
                } else {
                    #expect(n == got.count, "round \(round)")
                    for i in 0..<min(max(n, 0), got.count) where bt[i] != got[i].0 || bv[i] != got[i].1 {
                        Issue.record("round \(round): sample \(i) differs")
                        break
                    }
                }
            }
        }
    }

    @Test func truncatedChunkFailsCleanly() throws {
        var a = XORAppender()
        for i in 0..<120 { a.append(Int64(i) * 15000, Double(i) * 1.5) }
        let bytes = a.bytes
        for cut in [1, 3, 10, bytes.count / 2, bytes.count - 3] {
            let part = Array(bytes[0..<cut])
            part.withUnsafeBytes { buf in
                var it = XORIterator(buf)
                var n = 0
                while it.next() { n += 1 }
                #expect(it.failed)
                #expect(n < 120)
                var bt = [Int64](repeating: 0, count: 65536), bv = [UInt64](repeating: 0, count: 65536)
                #expect(XORBulkDecoder.decode(buf, ts: &bt, vbits: &bv) == -1)
            }
        }
    }
}

/// Deterministic RNG for tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
