import Foundation
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataQuery

/// Prometheus 3's metadata API details on strata-query: `limit` with its "results truncated"
/// warning, and UTF-8 label names in the label-values path in their `U__` escaped form.
@Suite struct MetadataAPI3Tests {
    static func store() throws -> LocalBlockStore {
        let dir = TestEnv.tempDir("api3")
        let t0: Int64 = 1_700_000_000_000
        let w = try BlockWriter(parentDir: dir, minTime: t0, maxTime: t0 + 3_600_000)
        let ts = Array(stride(from: t0, to: t0 + 600_000, by: 15_000))
        for (i, svc) in ["api", "db", "web"].enumerated() {
            try w.add(Labels(["__name__": "http.server.duration", "service.name": svc, "job": "otel"]), timestamps: ts,
                      values: ts.map { _ in Double(i) })
        }
        let meta = try w.commit()
        return LocalBlockStore(name: "s", blocks: [try BlockReader(dir: dir + "/" + meta.ulid.description)])
    }

    static func strings(_ obj: [String: Any]) -> [String] { (obj["data"] as? [Any] ?? []).compactMap { $0 as? String } }

    static func v3(_ c: inout QuerierService.Config) { c.api.promqlCompat = .v3_14 }

    @Test func limitTruncatesWithAWarning() async throws {
        try await QuerierHarness.with(stores: [try Self.store()], configure: Self.v3) { q in
            let (s1, names) = try await q.json("/api/v1/labels?limit=2")
            #expect(s1 == 200 && Self.strings(names) == ["__name__", "job"])
            #expect((names["warnings"] as? [String]) == ["results truncated due to limit"])
            let (_, all) = try await q.json("/api/v1/labels?limit=10")
            #expect(Self.strings(all) == ["__name__", "job", "service.name"] && all["warnings"] == nil)
            let (_, values) = try await q.json("/api/v1/label/U__service_2e_name/values?limit=1")
            #expect(Self.strings(values) == ["api"] && (values["warnings"] as? [String])?.count == 1)
            let sel = PromQLDifferential.encode(#"{"http.server.duration"}"#)
            let (_, series) = try await q.json("/api/v1/series?match%5B%5D=\(sel)&limit=2")
            #expect((series["data"] as? [Any])?.count == 2 && (series["warnings"] as? [String])?.count == 1)
            let (bad, err) = try await q.json("/api/v1/labels?limit=-1")
            #expect(bad == 400 && err["errorType"] as? String == "bad_data")
        }
    }

    @Test func utf8LabelNamesInThePath() async throws {
        try await QuerierHarness.with(stores: [try Self.store()], configure: Self.v3) { q in
            let (status, values) = try await q.json("/api/v1/label/U__service_2e_name/values")
            #expect(status == 200 && Self.strings(values) == ["api", "db", "web"])
            let (_, names) = try await q.json("/api/v1/label/__name__/values")
            #expect(Self.strings(names) == ["http.server.duration"])
            // 2.42 semantics keep 2.42's legacy-name check.
            try await QuerierHarness.with(stores: [try Self.store()]) { old in
                let (s, _) = try await old.json("/api/v1/label/service.name/values")
                #expect(s == 400)
            }
        }
    }

    @Test func unescapingFollowsPrometheus() {
        #expect(NameEscaping.unescape("U__service_2e_name") == "service.name")
        #expect(NameEscaping.unescape("U__a__b") == "a_b")
        #expect(NameEscaping.unescape("U___1f600_") == "😀")
        #expect(NameEscaping.unescape("plain_name") == "plain_name")
        for bad in ["U__a_", "U__a_zz_", "U___10ffff_", "U___d800_", "U__x_2e"] { #expect(NameEscaping.unescape(bad) == bad, "\(bad)") }
    }
}
