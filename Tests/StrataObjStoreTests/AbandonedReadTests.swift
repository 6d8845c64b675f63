import Foundation
import Testing
@testable import StrataObjStore

/// Callers often open an object and stop early (a reader that found what it needed, an error
/// elsewhere). Abandoned streams must give their connection back, or the pool runs dry.
@Suite("S3 abandoned reads")
struct AbandonedReadTests {
    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(1)))
    func abandonedStreamsReleaseConnections() async throws {
        try await withMoto { moto in
            let setup = try await moto.makeBucket("abandon")
            try await setup.put("big", bytes: TestSupport.bytes(4 << 20))
            try await setup.close()
            var c = MotoServer.config(bucket: "abandon", port: moto.port)
            c.maxIdleConnsPerHost = 2
            c.responseHeaderTimeoutMs = 5_000
            let b = try S3Bucket(config: c, retry: .init(maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 50))
            do {
                for _ in 0..<10 {
                    _ = try await b.get("big")                       // never read
                    var it = try await b.get("big").makeAsyncIterator()
                    _ = try await it.next()                          // read one chunk, then drop
                }
                #expect(try await b.getBytes("big").count == 4 << 20)
                try await b.close()
            } catch {
                try? await b.close()
                throw error
            }
        }
    }
}
