import Foundation
import NIOCore
import StrataTestSupport
import Testing
@testable import StrataServer

/// The gzip encoder read back by GNU gzip (its own inflate, not zlib's) at the sizes where
/// the pieces meet: empty, one byte, one piece, a piece and a byte, and many pieces of
/// incompressible and of repetitive bytes (so back-references cross the piece edges through
/// the primed dictionary).
@Suite struct GzipTests {
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8]? {
        guard let gzip = try TestEnv.require("gzip", hint: "apt-get install gzip") else { return nil }
        let dir = TestEnv.tempDir("gzip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/a.gz"))
        let r = try TestEnv.run(gzip, ["-d", dir + "/a.gz"])
        #expect(r.status == 0, "gzip -d: \(r.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a")))
    }

    @Test(arguments: [0, 1, 1399, Gzip.pieceSize - 1, Gzip.pieceSize, Gzip.pieceSize + 1, 11 * Gzip.pieceSize / 2])
    func gnuGzipReadsWhatWeWrite(size: Int) throws {
        var rng = SystemRandomNumberGenerator()
        let random = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let words = ["{\"metric\":{\"__name__\":\"up\",\"job\":\"api\"},", "\"value\":[1700000000,\"1\"]}", ","]
        var text = [UInt8]()
        while text.count < size { text += Array(words[Int.random(in: 0..<3, using: &rng)].utf8) }
        text = Array(text.prefix(size))
        for input in [random, text] {
            let gz = Gzip.compress([ByteBuffer(bytes: input)])
            guard let back = try Self.gunzip(gz) else { return }
            #expect(back == input, "size \(size)")
            // The same bytes in buffers cut anywhere (an answer written in pieces; some empty,
            // some shorter than the dictionary): still one stream of the concatenation.
            var cuts = (0..<6).map { _ in Int.random(in: 0...size, using: &rng) } + [0, min(size, 100)]
            cuts.sort()
            let buffers = zip([0] + cuts, cuts + [size]).map { ByteBuffer(bytes: input[$0..<$1]) }
            #expect(try Self.gunzip(Gzip.compress(buffers)) == input, "size \(size) cut at \(cuts)")
            // Streamed a round of pieces at a time: the same bytes, header first, trailer last.
            for perRound in [1, 2, 3] {
                var rounds = Gzip.Rounds(buffers, piecesPerRound: perRound)
                var streamed: [[UInt8]] = []
                while let r = rounds.next() { streamed.append(r) }
                #expect(rounds.isDone && Array(streamed.joined()) == Gzip.compress(buffers), "size \(size), \(perRound) a round")
                #expect(streamed.count == (buffers.reduce(0) { $0 + ($1.readableBytes + Gzip.pieceSize - 1) / Gzip.pieceSize } + perRound - 1) / perRound
                        || size == 0)
            }
            if input == text && size >= Gzip.pieceSize { #expect(gz.count * 5 < size, "JSON-like text should shrink: \(gz.count) of \(size)") }
        }
    }

    @Test func acceptEncoding() {
        let accepts = Gzip.isAccepted(by:)
        #expect(accepts("gzip"))
        #expect(accepts("deflate, gzip, br, zstd"))
        #expect(accepts("gzip;q=0.5, identity"))
        #expect(accepts("*"))
        #expect(accepts("X-GZIP"))
        #expect(!accepts(nil))
        #expect(!accepts(""))
        #expect(!accepts("identity"))
        #expect(!accepts("br, zstd"))
        #expect(!accepts("gzip;q=0"))
        #expect(!accepts("gzip; q=0.0, *"))
        #expect(!accepts("*;q=0"))
    }
}
