import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing

/// The bucket viewer on `strata-compact`'s HTTP port, fed by the compactor's own sync.
@Suite(.serialized) struct CompactorBucketWebTests {
    func objstore(_ root: String) -> String { "--objstore.config=type: FILESYSTEM\nconfig: {directory: \(root)}" }

    /// The body of a 200 answer to `GET path`, else nil.
    static func body(_ port: Int, _ path: String) async -> String? {
        guard let u = URL(string: "http://127.0.0.1:\(port)" + path),
              let (data, response) = try? await URLSession.shared.data(for: URLRequest(url: u, timeoutInterval: 10)),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A `--wait` compactor shows the blocks its pass synced; a second one waiting for the
    /// lock serves the page too, saying it has not synced yet.
    @Test(.timeLimit(.minutes(2))) func compactorServesTheViewer() async throws {
        let (bucket, root) = try Fixture.fsBucket("web-bucket")
        let local = TestEnv.tempDir("web-blocks")
        var dirs: [String] = []
        for i in 0..<3 { dirs.append(try Fixture.block(local, Fixture.dayZero + Int64(i) * 2 * Fixture.hour, Fixture.dayZero + Int64(i + 1) * 2 * Fixture.hour)) }
        let metas = try await Fixture.upload(dirs, to: bucket)
        let port = try freePort(), waitingPort = try freePort()
        let (holder, log) = try startService("strata-compact", ["--wait", "--wait-interval", "1h", "--consistency-delay", "0s", "--data-dir", TestEnv.tempDir("web-data"),
                                                                objstore(root), "--http-address", "127.0.0.1:\(port)"])
        defer { holder.terminate(); holder.waitUntilExit() }
        var answer: JSONValue?
        let synced = await waitForAsync(60) {
            answer = (await Self.body(port, "/api/v1/blocks")).flatMap { try? JSONValue(parsing: Array($0.utf8)) }
            return answer?["data"]?["refreshedAt"]?.stringValue != nil
        }
        #expect(synced, "\(String(describing: try? String(contentsOfFile: log, encoding: .utf8)))")
        #expect(answer?["status"]?.stringValue == "success")
        #expect(Set(answer?["data"]?["blocks"]?.arrayValue?.compactMap { $0["ulid"]?.stringValue } ?? []) == Set(metas.map(\.ulid.description)),
                "the pass's sync: the blocks before it compacted them")
        #expect(answer?["data"]?["groups"]?.arrayValue?.first?["labels"]?["cluster"]?.stringValue == "c1")
        #expect(await Self.body(port, "/")?.contains("<title>Strata · Bucket</title>") == true)
        #expect(await Self.body(port, "/metrics")?.contains("strata_bucket_web_syncs_total") == true)

        let (waiting, _) = try startService("strata-compact", ["--wait", "--lock.wait", "--data-dir", TestEnv.tempDir("web-data2"),
                                                               objstore(root), "--http-address", "127.0.0.1:\(waitingPort)"])
        defer { waiting.terminate(); waiting.waitUntilExit() }
        var pending: String?
        #expect(await waitForAsync(30) {
            pending = (await Self.body(waitingPort, "/api/v1/blocks")).flatMap { try? JSONValue(parsing: Array($0.utf8)) }?["data"]?["pending"]?.stringValue
            return pending != nil
        })
        #expect(pending?.contains("first sync") == true)
        #expect(await Self.body(waitingPort, "/")?.contains("api/v1/blocks.js") == true)
    }
}
