import Foundation
import StrataObjStore
import StrataTestSupport
import Testing

/// The viewer's page in a real headless Chromium: what it draws from thousands of blocks,
/// how long that takes, and the screenshot in docs/.
///
/// Chromium runs without `--virtual-time-budget`: under virtual time `performance.now()`
/// does not advance while a script runs (measured: a 300 ms loop reads as 0 ms), which would
/// make the timing assertion unfailable. `--dump-dom` waits for the load event instead, which
/// the page holds until the first list is drawn (it loads it through a script element).
@Suite(.serialized) struct BucketWebPageTests {
    /// 2026-10-14T00:00Z, a day boundary.
    static let end: Int64 = 172_800 * 10370 * 1000
    static let clusters = ["ap-south-1", "eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "sa-east-1",
                           "ca-central-1", "ap-northeast-1", "eu-north-1", "us-east-2", "ap-southeast-2", "me-south-1"]

    /// Headless Chromium on `url` with a throwaway profile (it writes one at every start).
    static func chromium(_ args: [String], _ url: String) throws -> TestEnv.RunResult? {
        guard let bin = try TestEnv.require("chromium", hint: "apt-get install -y chromium") else { return nil }
        let profile = TestEnv.tempDir("chromium-profile")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        return try TestEnv.run(bin, ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                                     "--user-data-dir=\(profile)"] + args + [url], timeout: 90)
    }

    /// A number the page wrote into `<span id="…">`.
    static func span(_ id: String, _ dom: String) -> Double? {
        guard let r = dom.range(of: "<span id=\"\(id)\">") else { return nil }
        return Double(dom[r.upperBound...].prefix { $0 != "<" })
    }

    @Test(.timeLimit(.minutes(3))) func thousandsOfBlocksRenderInUnderASecond() async throws {
        let root = TestEnv.tempDir("viewer-big")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let synthetic = try SyntheticBucket.write(root: root, clusters: Self.clusters, days: 26, end: Self.end, compacted: false)
        #expect(synthetic.blocks >= 3000)
        let server = try await ViewerServer(bucket: try FilesystemBucket(directory: root), label: "cluster")
        var failure: (any Error)?
        do {
            #expect(await waitForAsync(60) { await server.get("/-/ready") != nil }, "the bucket was read")
            guard let r = try Self.chromium(["--dump-dom"], server.url) else { await server.stop(); return }
            #expect(r.status == 0, "\(r.stderr)")
            let dom = r.stdout
            for c in Self.clusters { #expect(dom.contains("<h3 class=\"group-title\">\(c)</h3>"), "group \(c)") }
            #expect(dom.contains("\(synthetic.blocks) blocks · \(Self.clusters.count) groups"), "summary")
            #expect(dom.contains("<li class=\"partial\">partial upload \(synthetic.partial)"))
            #expect(dom.contains("<li class=\"unreadable\">unreadable block \(synthetic.unreadable)"))
            #expect(dom.contains("<li class=\"gap\">gap in us-east-1 raw: 2026-10-12 08:00 – 2026-10-12 16:00 (8h without a block)"), "gap")
            #expect(dom.contains("<li class=\"overlap\">overlap in eu-west-1 raw: 2026-10-13 19:00 – 2026-10-13 21:00"), "overlap")
            #expect(dom.contains("<tr class=\"partial\"><td>\(synthetic.partial)</td>"), "partial upload as a table row")
            // The table is paged: 100 rows of thousands, not one row per block.
            #expect(dom.contains(" page 1 / \((synthetic.blocks + 2 + 99) / 100) "), "pager")
            let table = try #require(dom.range(of: "<div id=\"table\">").flatMap { start in
                dom.range(of: "</table>", range: start.upperBound..<dom.endIndex).map { dom[start.upperBound..<$0.lowerBound] } })
            #expect(table.components(separatedBy: "<tr").count == 102, "a header and 100 rows")
            let render = try #require(Self.span("render-ms", dom), "the page wrote its render time")
            let load = try #require(Self.span("load-ms", dom))
            print("bucket viewer: \(synthetic.blocks) blocks drawn in \(render) ms, \(load) ms from request to drawn")
            #expect(render > 0 && render < 1000, "render took \(render) ms")
            #expect(load >= render && load < 1000, "request to drawn took \(load) ms")
        } catch { failure = error }
        await server.stop()
        if let failure { throw failure }
    }

    /// The screenshot in docs/operations.md, over a realistic bucket: compaction levels 1–4,
    /// 5m and 1h copies, a gap, an overlap, fresh deletion marks, a no-compact mark, a partial
    /// upload. `STRATA_DOCS_SCREENSHOT=1` writes it to docs/images/bucket-web.png.
    @Test(.timeLimit(.minutes(3))) func realisticBucketPageAndScreenshot() async throws {
        let root = TestEnv.tempDir("viewer-real"), shot = TestEnv.tempDir("viewer-shot") + "/bucket-web.png"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let synthetic = try SyntheticBucket.write(root: root, clusters: Array(Self.clusters.prefix(3)), days: 90, end: Self.end, compacted: true)
        let server = try await ViewerServer(bucket: try FilesystemBucket(directory: root), label: "cluster")
        var failure: (any Error)?
        do {
            #expect(await waitForAsync(60) { await server.get("/-/ready") != nil })
            guard let r = try Self.chromium(["--dump-dom"], server.url) else { await server.stop(); return }
            let dom = r.stdout
            #expect(dom.contains("\(synthetic.blocks) blocks · 9 groups · 4 marked for deletion · 1 partial uploads · 1 unreadable"), "summary")
            #expect(dom.contains("<span class=\"res\">1h</span>") && dom.contains("<span class=\"res\">5m</span>"))
            #expect(dom.contains("<span class=\"gapn\">1 gap</span>") && dom.contains("<span class=\"overlapn\">1 overlap</span>"))
            #expect(dom.contains("no-compact</td>"), "the no-compact mark in the table")
            // The last week: every level, the gap, the overlap and the marks are wide enough to see.
            let s = try #require(try Self.chromium(["--screenshot=\(shot)", "--window-size=1400,900"], server.url + "#range=604800000"))
            #expect(s.status == 0, "\(s.stderr)")
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            let be32 = { (o: Int) in png[o..<o + 4].reduce(0) { $0 << 8 | Int($1) } }
            #expect(be32(16) == 1400 && be32(20) == 900, "size")
            if ProcessInfo.processInfo.environment["STRATA_DOCS_SCREENSHOT"] == "1" {
                let dest = TestEnv.root + "/docs/images/bucket-web.png"
                try? FileManager.default.createDirectory(atPath: TestEnv.root + "/docs/images", withIntermediateDirectories: true)
                try? FileManager.default.removeItem(atPath: dest)
                try FileManager.default.copyItem(atPath: shot, toPath: dest)
            }
        } catch { failure = error }
        await server.stop()
        if let failure { throw failure }
    }
}
