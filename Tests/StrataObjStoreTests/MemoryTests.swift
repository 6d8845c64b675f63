import Foundation
import Synchronization
import Testing
@testable import StrataObjStore

/// Uploading and downloading an object much larger than the memory bound must not grow
/// the process: bodies are streamed from and to disk in chunks.
@Suite("Streaming memory", .serialized)
struct MemoryTests {
    @Test("256 MiB through S3 (moto) with flat memory", .enabled(if: MotoServer.enabled, "moto_server not installed"),
          .timeLimit(.minutes(3)))
    func flatMemoryS3() async throws {
        let dir = try TestSupport.tempDirectory("mem")
        defer { TestSupport.removeDirectory(dir) }
        let size = 256 << 20
        try TestSupport.writeFile(dir + "/big", size: size, seed: 11)
        try await withMoto { moto in
            let b = try await moto.makeBucket("memory", partSize: 64 << 20)
            do {
                let before = TestSupport.currentRSS()
                let peak = Mutex(before)
                let sampler = Task {
                    while !Task.isCancelled {
                        let now = TestSupport.currentRSS()
                        peak.withLock { $0 = max($0, now) }
                        try? await Task.sleep(nanoseconds: 20_000_000)
                    }
                }
                defer { sampler.cancel() }
                let t0 = Date()
                try await b.put("big", file: dir + "/big")
                let up = Date().timeIntervalSince(t0)
                let t1 = Date()
                var total = 0
                var hasher = SHA256Hasher()
                for try await chunk in try await b.get("big") {
                    total += chunk.count
                    hasher.update(chunk)
                }
                let down = Date().timeIntervalSince(t1)
                sampler.cancel()
                let grew = peak.withLock { $0 } - before
                print("memory test: 256 MiB up \(String(format: "%.1f", up)) s, down \(String(format: "%.1f", down)) s, peak RSS grew \(grew >> 20) MiB")
                #expect(total == size)
                // Alone this grows by about 40 MiB; other suites run in parallel in the same
                // process and add their own. Holding the object (or one copy of it) would need
                // at least 256 MiB, so 160 MiB separates streaming from loading with margin.
                #expect(grew < 160 << 20, "peak RSS grew by \(grew >> 20) MiB for a 256 MiB object")
                try await b.close()
            } catch {
                try? await b.close()
                throw error
            }
        }
    }
}

/// Incremental SHA-256 for test streams.
struct SHA256Hasher {
    private var h = Crypto.SHA256()
    mutating func update(_ bytes: [UInt8]) { h.update(data: bytes) }
    func hex() -> String { SigV4Signer.hex(h.finalize()) }
}

import Crypto
