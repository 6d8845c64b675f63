import Foundation
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing

/// The querier's answers gzipped for a client that asks, as Prometheus and the Thanos querier
/// answer Grafana: fetched with curl, unpacked by GNU gzip, and equal byte for byte to the
/// uncompressed answer; a client that does not ask, or refuses gzip, gets plain JSON. The
/// answer (~3 MB at a 1 s step) is written and compressed in pieces on all cores and streamed
/// a round of pieces at a time; an answer of one round goes in one buffer with its length.
@Suite(.serialized) struct CompressedAnswerTests {
    static let t0: Int64 = 1_700_006_400_000

    static func store() throws -> LocalBlockStore {
        let dir = TestEnv.tempDir("gzip-answer")
        let w = try BlockWriter(parentDir: dir, minTime: t0, maxTime: t0 + 3_600_000)
        let ts = Array(stride(from: t0, to: t0 + 3_600_000, by: 15_000))
        for pod in 0..<40 {
            try w.add(Labels(["__name__": "req_total", "job": "api", "pod": "pod-\(pod)"]), timestamps: ts,
                      values: ts.map { Double($0 - t0) / 1000 * Double(pod + 1) })
        }
        let block = try w.commit()
        return LocalBlockStore(name: "store", blocks: [try BlockReader(dir: dir + "/" + block.ulid.description)])
    }

    /// Status, headers (lower-cased names) and body file of a curl GET with extra headers.
    static func curl(_ url: String, _ headers: [String]) throws -> (headers: [String: String], body: String)? {
        guard let curl = try TestEnv.require("curl", hint: "apt-get install curl") else { return nil }
        let dir = TestEnv.tempDir("curl")
        let r = try TestEnv.run(curl, ["-s", "-D", dir + "/h", "-o", dir + "/b"] + headers.flatMap { ["-H", $0] } + [url], timeout: 30)
        #expect(r.status == 0, "curl: \(r.stderr)")
        var fields: [String: String] = [:]
        for line in try String(contentsOfFile: dir + "/h", encoding: .utf8).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (fields, dir + "/b")
    }

    @Test func gzippedWhenAsked() async throws {
        guard let gzip = try TestEnv.require("gzip", hint: "apt-get install gzip") else { return }
        try await QuerierHarness.with(stores: [try Self.store()]) { q in
            let url = q.url + "/api/v1/query_range?query=rate(req_total%5B5m%5D)&start=\(Self.t0 / 1000 + 600)&end=\(Self.t0 / 1000 + 3000)&step=1"
            guard let plain = try Self.curl(url, []), let zipped = try Self.curl(url, ["Accept-Encoding: br, gzip;q=0.8"]),
                  let refused = try Self.curl(url, ["Accept-Encoding: gzip;q=0, identity"]) else { return }
            let plainBody = try String(contentsOfFile: plain.body, encoding: .utf8)
            #expect(plainBody.hasPrefix("{\"status\":\"success\"") && plainBody.utf8.count > 2_000_000)
            #expect(plain.headers["content-encoding"] == nil && plain.headers["vary"] == "Accept-Encoding")
            #expect(refused.headers["content-encoding"] == nil)
            #expect(try String(contentsOfFile: refused.body, encoding: .utf8) == plainBody)

            #expect(zipped.headers["content-encoding"] == "gzip")
            let size = try FileManager.default.attributesOfItem(atPath: zipped.body)[.size] as? Int ?? 0
            // Compressed a round of pieces (one a core) at a time, streamed as it goes.
            #expect(zipped.headers["content-length"] == nil && zipped.headers["transfer-encoding"] == "chunked")
            #expect(size * 5 < plainBody.utf8.count)
            try FileManager.default.moveItem(atPath: zipped.body, toPath: zipped.body + ".gz")
            let r = try TestEnv.run(gzip, ["-d", zipped.body + ".gz"])
            #expect(r.status == 0, "gzip -d: \(r.stderr)")
            #expect(try String(contentsOfFile: zipped.body, encoding: .utf8) == plainBody)

            // An answer of one round: one buffer with its length.
            let hour = q.url + "/api/v1/query_range?query=req_total&start=\(Self.t0 / 1000)&end=\(Self.t0 / 1000 + 600)&step=60"
            guard let one = try Self.curl(hour, ["Accept-Encoding: gzip"]) else { return }
            let oneSize = try FileManager.default.attributesOfItem(atPath: one.body)[.size] as? Int ?? 0
            #expect(one.headers["content-encoding"] == "gzip" && one.headers["content-length"] == String(oneSize))

            // Small answers are not worth a header and a trailer.
            guard let small = try Self.curl(q.url + "/api/v1/status/buildinfo", ["Accept-Encoding: gzip"]) else { return }
            #expect(small.headers["content-encoding"] == nil)
        }
    }
}
