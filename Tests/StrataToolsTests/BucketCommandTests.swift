import Foundation
import StrataCore
import StrataTestSupport
import StrataTSDB
import Testing

/// The `strata bucket` commands run as a user runs them: the real binary against a
/// filesystem bucket holding Prometheus-written blocks.
@Suite struct BucketCommandTests {
    let strata = TestEnv.strataBinary

    @Test(.timeLimit(.minutes(2))) func uploadInspectMarkCleanupVerifyDownload() throws {
        let tmp = TestEnv.tempDir("bucketcli")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let cfg = "--objstore.config={type: FILESYSTEM, config: {directory: \(tmp)/bucket}}"
        let blocks = Array(try TestEnv.promBlocks().prefix(2))
        let ids = blocks.map { String($0.split(separator: "/").last!) }

        var r = try TestEnv.run(strata, ["bucket", "upload", cfg, "--label", "cluster=c1"] + blocks)
        #expect(r.status == 0, "\(r.stderr)")

        r = try TestEnv.run(strata, ["bucket", "ls", cfg, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let ls = try JSONValue(parsing: Array(r.stdout.utf8))
        #expect(ls.arrayValue?.compactMap { $0["name"]?.stringValue } == ids.map { $0 + "/" })
        #expect(ls.arrayValue?.allSatisfy { $0["type"]?.stringValue == "block" } == true)

        // A block directory without meta.json (an upload that died) next to the complete ones.
        let partial = "01HQZZZZZZZZZZZZZZZZZZZZZZ"
        try FileManager.default.createDirectory(atPath: "\(tmp)/bucket/\(partial)/chunks", withIntermediateDirectories: true)
        try "x".write(toFile: "\(tmp)/bucket/\(partial)/chunks/000001", atomically: true, encoding: .utf8)
        r = try TestEnv.run(strata, ["bucket", "ls", cfg, "-o", "wide"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first?.contains("SERIES") == true && rows.first?.contains("STATE") == true)
        #expect(rows.filter { $0.contains("complete") && $0.contains("cluster=\"c1\"") }.count == 2, "\(r.stdout)")
        #expect(rows.contains { $0.hasPrefix(partial) && $0.contains("partial") }, "\(r.stdout)")
        r = try TestEnv.run(strata, ["bucket", "ls", cfg, "-o", "json"])
        let states = try JSONValue(parsing: Array(r.stdout.utf8)).arrayValue?.compactMap { $0["state"]?.stringValue }
        #expect(states?.sorted() == ["complete", "complete", "partial"], "\(r.stdout)")
        try FileManager.default.removeItem(atPath: "\(tmp)/bucket/\(partial)")

        r = try TestEnv.run(strata, ["bucket", "inspect", cfg, "-l", "cluster=\"c2\""])
        #expect(r.status == 0 && r.stdout.split(separator: "\n").count == 1, "only the header: \(r.stdout)")
        r = try TestEnv.run(strata, ["bucket", "inspect", cfg, "--selector", "cluster=~\"c.\""])
        #expect(r.stdout.split(separator: "\n").count == 3, "\(r.stdout)")

        r = try TestEnv.run(strata, ["bucket", "inspect", cfg, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let inspected = try JSONValue(parsing: Array(r.stdout.utf8))
        #expect(inspected.arrayValue?.count == 2)
        #expect(inspected.arrayValue?.first?["meta"]?["thanos"]?["labels"]?["cluster"]?.stringValue == "c1")

        r = try TestEnv.run(strata, ["bucket", "verify", cfg, "--full"])
        #expect(r.status == 0, "\(r.stderr)")

        r = try TestEnv.run(strata, ["bucket", "download", cfg, ids[1], tmp + "/dl"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try readFile(tmp + "/dl/\(ids[1])/index") == (try readFile(blocks[1] + "/index")))

        r = try TestEnv.run(strata, ["bucket", "mark", cfg, "--id", ids[0], "--marker", "deletion-mark.json", "--details", "test"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try TestEnv.run(strata, ["bucket", "cleanup", cfg])
        #expect(r.stdout.contains("nothing to clean up"), "a fresh mark waits for --delete-delay")
        r = try TestEnv.run(strata, ["bucket", "cleanup", cfg, "--delete-delay", "0s"])
        #expect(r.status == 0 && r.stdout.contains("deleted \(ids[0])"), "\(r.stdout)\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp + "/bucket/\(ids[0])"))

        // A damaged object makes verify fail.
        try Data(count: 10).write(to: URL(fileURLWithPath: tmp + "/bucket/\(ids[1])/index"))
        r = try TestEnv.run(strata, ["bucket", "verify", cfg])
        #expect(r.status == 1)
        #expect(r.stderr.contains("index: size 10"))

        // Configuration errors are clear and exit non-zero.
        r = try TestEnv.run(strata, ["bucket", "ls"])
        #expect(r.status != 0 && r.stderr.contains("--objstore.config-file"))
    }

    /// `strata bucket web` as an operator starts it: serves the page and Thanos's
    /// `/api/v1/blocks` over the bucket, stops cleanly on SIGTERM.
    @Test(.timeLimit(.minutes(2))) func bucketWebServesTheBlocks() async throws {
        let tmp = TestEnv.tempDir("bucketweb")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let cfg = "--objstore.config={type: FILESYSTEM, config: {directory: \(tmp)/bucket}}"
        let blocks = Array(try TestEnv.promBlocks().prefix(2))
        let up = try TestEnv.run(strata, ["bucket", "upload", cfg, "--label", "cluster=c1"] + blocks)
        #expect(up.status == 0, "\(up.stderr)")
        let port = try freePort()
        let (p, log) = try startService("strata", ["bucket", "web", cfg, "--http-address", "127.0.0.1:\(port)", "--refresh", "1m", "--label", "cluster"])
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        #expect(waitFor(30) { httpStatus(port: port, path: "/-/ready") == 200 }, "\(String(describing: try? String(contentsOfFile: log, encoding: .utf8)))")
        let j = try JSONValue(parsing: Array(try await PromQLDifferential.get("http://127.0.0.1:\(port)/api/v1/blocks").utf8))
        #expect(j["status"]?.stringValue == "success" && j["data"]?["label"]?.stringValue == "cluster")
        #expect(Set(j["data"]?["blocks"]?.arrayValue?.compactMap { $0["ulid"]?.stringValue } ?? []) == Set(blocks.map { String($0.split(separator: "/").last!) }))
        #expect(j["data"]?["groups"]?.arrayValue?.map { $0["title"]?.stringValue } == ["c1"])
        #expect(try await PromQLDifferential.get("http://127.0.0.1:\(port)/").contains("<title>Strata · Bucket</title>"))
        kill(p.processIdentifier, SIGTERM)
        #expect(waitFor(20) { !p.isRunning })
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(describing: try? String(contentsOfFile: log, encoding: .utf8)))")
    }
}

/// A typo in the endpoint must not look like a hang: `strata bucket ls` against a port
/// where nothing listens exits non-zero within seconds, with one line naming the endpoint,
/// the bucket and the cause.
@Suite struct UnreachableBucketTests {
    @Test(.timeLimit(.minutes(1))) func bucketLsFailsFastOnConnectionRefused() throws {
        let port = try freePort()  // free, so closed: connection refused
        let cfg = "--objstore.config={type: S3, config: {bucket: typo-bucket, endpoint: \"127.0.0.1:\(port)\", insecure: true, access_key: a, secret_key: b}}"
        let start = Date()
        let r = try TestEnv.run(TestEnv.strataBinary, ["bucket", "ls", cfg], timeout: 30)
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status != 0)
        #expect(elapsed < 10, "took \(elapsed) s")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        let line = String(lines.first ?? "")
        #expect(line.contains("127.0.0.1:\(port)") && line.contains("typo-bucket") && line.contains("connection refused"), "\(line)")
        #expect(r.stdout.isEmpty)
    }
}
