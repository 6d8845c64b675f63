import Foundation
import StrataBucket
import StrataBucketWeb
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport
import Synchronization
import Testing

/// The viewer's HTTP server over a filesystem bucket holding real blocks (written by the
/// block writer, uploaded as the sidecar uploads them), a partial upload, a deletion mark
/// and an unreadable meta.json; then the bucket going away.
@Suite struct BucketWebServerTests {
    static let hour: Int64 = 3_600_000
    /// 2026-10-14T00:00Z.
    static let dayZero: Int64 = 172_800 * 10370 * 1000

    /// A real block with a sample a minute for `series` series over `[minT, maxT)`.
    static func block(_ parent: String, _ minT: Int64, _ maxT: Int64, series: Int = 3) throws -> String {
        let w = try BlockWriter(parentDir: parent, minTime: minT, maxTime: maxT)
        for s in 0..<series {
            let ts = Array(stride(from: minT, to: maxT, by: 60_000))
            try w.add(Labels(["__name__": "m", "s": "\(s)"]), timestamps: ts, values: ts.map { Double($0 / 60_000 % 97) })
        }
        return parent + "/" + (try w.commit()).ulid.description
    }

    /// A bucket breaking on demand, like an object store going down.
    final class Switchable: ForwardingBucket, @unchecked Sendable {
        let down = Mutex(false)
        struct Unreachable: Error, CustomStringConvertible { var description: String { "connection refused by 127.0.0.1:9 (test)" } }
        override func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
            if down.withLock({ $0 }) { throw Unreachable() }
            try await base.iterate(prefix: prefix, recursive: recursive, body)
        }
    }

    /// `--web.route-prefix`: the page and its API under a path, the admin endpoints at the root.
    @Test(.timeLimit(.minutes(1))) func routePrefix() async throws {
        #expect(BucketWebRoutes.normalizedPrefix("bucket/") == "/bucket" && BucketWebRoutes.normalizedPrefix("/") == "")
        let root = TestEnv.tempDir("viewer-prefix")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try await ViewerServer(bucket: try FilesystemBucket(directory: root), routePrefix: "/bucket/")
        let page = await server.get("/bucket/"), pageNoSlash = await server.get("/bucket"), api = await server.get("/bucket/api/v1/blocks")
        let js = await server.get("/bucket/api/v1/blocks.js"), ready = await server.get("/-/healthy"), rootPage = await server.get("/")
        let rootAPI = await server.get("/api/v1/blocks")
        // The page finds its API next to its own path, with or without the trailing slash.
        var dom: TestEnv.RunResult?, missing: (any Error)?
        do { dom = try BucketWebPageTests.chromium(["--dump-dom"], "http://127.0.0.1:\(server.port)/bucket") } catch { missing = error }
        await server.stop()
        if let missing { throw missing }
        if let dom { #expect(dom.stdout.contains("0 blocks · 0 groups"), "\(dom.stdout)") }
        #expect(page?.contains("<title>Strata · Bucket</title>") == true && pageNoSlash == page)
        #expect(api?.hasPrefix("{\"status\":\"success\"") == true && js?.hasPrefix("strataBucketView(") == true)
        #expect(ready != nil && rootPage == nil && rootAPI == nil)
    }

    @Test(.timeLimit(.minutes(2))) func servesTheBlocksInThanosShapeAndSurvivesAnOutage() async throws {
        let root = TestEnv.tempDir("viewer-bucket"), local = TestEnv.tempDir("viewer-blocks")
        defer { try? FileManager.default.removeItem(atPath: root); try? FileManager.default.removeItem(atPath: local) }
        let fs = try FilesystemBucket(directory: root)
        // eu: 0-2h, 2-4h, (gap) 8-10h; us: 0-2h and an overlapping 1-3h.
        var metas: [BlockMeta] = []
        for (labels, ranges) in [(["cluster": "eu"], [(0, 2), (2, 4), (8, 10)]), (["cluster": "us"], [(0, 2), (1, 3)])] {
            for (a, b) in ranges {
                let dir = try Self.block(local, Self.dayZero + Int64(a) * Self.hour, Self.dayZero + Int64(b) * Self.hour)
                metas.append(try await BlockUploader(bucket: fs).upload(blockDir: dir, externalLabels: labels, source: "sidecar"))
            }
        }
        try await BlockMarkers(bucket: fs).mark(metas[1].ulid, .deletion, details: "test")
        let partial = "01HQZZZZZZZZZZZZZZZZZZZZZZ", unreadable = "01HQYYYYYYYYYYYYYYYYYYYYYY"
        try FileManager.default.createDirectory(atPath: "\(root)/\(partial)/chunks", withIntermediateDirectories: true)
        try "x".write(toFile: "\(root)/\(partial)/chunks/000001", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(root)/\(unreadable)", withIntermediateDirectories: true)
        try "{\"ulid\":".write(toFile: "\(root)/\(unreadable)/meta.json", atomically: true, encoding: .utf8)

        let bucket = Switchable(base: fs)
        let server = try await ViewerServer(bucket: bucket, label: "cluster", refresh: .milliseconds(300))
        var failure: (any Error)?
        do { try await check(server, bucket, metas: metas, partial: partial, unreadable: unreadable) } catch { failure = error }
        await server.stop()
        #expect(await server.get("/-/healthy") == nil, "stopped")
        if let failure { throw failure }
    }

    func check(_ server: ViewerServer, _ bucket: Switchable, metas: [BlockMeta], partial: String, unreadable: String) async throws {
        do {
            #expect(await waitForAsync(20) { await server.get("/-/ready") != nil }, "ready after the first read")
            let j = try JSONValue(parsing: Array(try #require(await server.get("/api/v1/blocks")).utf8))
            #expect(j["status"]?.stringValue == "success")
            let data = try #require(j["data"])
            let blocks = try #require(data["blocks"]?.arrayValue)
            #expect(Set(blocks.compactMap { $0["ulid"]?.stringValue }) == Set(metas.map(\.ulid.description)))
            // The meta.json documents as uploaded: Thanos section, stats, files.
            let first = try #require(blocks.first { $0["ulid"]?.stringValue == metas[0].ulid.description })
            #expect(first["thanos"]?["labels"]?["cluster"]?.stringValue == "eu")
            #expect(first["stats"]?["numSeries"]?.int64Value == 3 && first["compaction"]?["level"]?.int64Value == 1)
            #expect(first["thanos"]?["files"]?.arrayValue?.isEmpty == false)
            #expect(data["label"]?.stringValue == "cluster" && data["refreshedAt"]?.stringValue?.hasPrefix("20") == true)
            #expect(data["deletionMarks"]?[metas[1].ulid.description]?["details"]?.stringValue == "test")
            #expect(data["partial"]?.arrayValue?.map { $0["ulid"]?.stringValue } == [partial])
            #expect(data["unreadable"]?.arrayValue?.first?["ulid"]?.stringValue == unreadable)
            let groups = try #require(data["groups"]?.arrayValue)
            #expect(groups.map { $0["title"]?.stringValue } == ["eu", "us"])
            // eu: 2-4h is marked for deletion, so 2-8h is a gap; us: 1-2h overlaps.
            #expect(groups[0]["gaps"]?.arrayValue?.map { $0["minTime"]?.int64Value } == [Self.dayZero + 2 * Self.hour])
            #expect(groups[1]["overlaps"]?.arrayValue?.first?["minTime"]?.int64Value == Self.dayZero + Self.hour)
            #expect(groups[1]["overlaps"]?.arrayValue?.first?["blocks"]?.arrayValue?.count == 2)
            #expect(data["err"] == .null)

            let page = try #require(await server.get("/"))
            #expect(page.contains("<canvas id=\"axis\"") && page.contains("api/v1/blocks.js"))
            #expect(await server.get("/api/v1/blocks.js")?.hasPrefix("strataBucketView({\"status\":\"success\"") == true)

            // The bucket goes away: the last list stays, with the error and the failure counted.
            bucket.down.withLock { $0 = true }
            var last: JSONValue?
            #expect(await waitForAsync(20) {
                last = try? JSONValue(parsing: Array((await server.get("/api/v1/blocks") ?? "").utf8))
                return last?["data"]?["err"]?.stringValue != nil
            })
            #expect(last?["data"]?["err"]?.stringValue?.contains("connection refused") == true)
            #expect(last?["data"]?["blocks"]?.arrayValue?.count == metas.count)
            let metrics = try #require(await server.get("/metrics"))
            let failures = metrics.split(separator: "\n").first { $0.hasPrefix("strata_bucket_web_sync_failures_total ") }
            #expect(failures.flatMap { Double($0.split(separator: " ").last!) }.map { $0 >= 1 } == true, "\(metrics)")
            #expect(await server.get("/") != nil, "the page is still served")

            // Back again: the error clears.
            bucket.down.withLock { $0 = false }
            #expect(await waitForAsync(20) {
                (try? JSONValue(parsing: Array((await server.get("/api/v1/blocks") ?? "").utf8)))?["data"]?["err"] == .null
            })
        }
    }
}
