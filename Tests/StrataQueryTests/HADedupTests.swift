import Foundation
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing

/// An HA pair through the whole querier: two replicas of one counter and one gauge, each in
/// its own block with external labels {cluster="c1", replica="a"|"b"}, each block behind its
/// own store served over gRPC. Replica a has two 10-minute gaps, b one; b scrapes 4 s later
/// and sees a counter 2% lower (as replicas' recording rules do), so the switch to b at a's
/// second gap is a drop that is not a reset. The counter really resets 5 s after a's first
/// gap begins — right at a replica switch.
@Suite(.serialized) struct HADedupTests {
    static let t0: Int64 = 1_700_006_400_000  // 2h-aligned
    static let reset = t0 + 20 * 60_000 + 5000

    static func counter(_ t: Int64) -> Double {
        t < reset ? Double(t - t0) / 1000 * 0.5 : Double(t - reset) / 1000 * 0.5
    }

    static func block(_ dir: String, replica: String, phase: Int64, scale: Double, gaps: [Range<Int64>]) throws -> String {
        let w = try BlockWriter(parentDir: dir, minTime: t0, maxTime: t0 + 7_200_000)
        var ts: [Int64] = []
        var t = t0 + phase
        while t < t0 + 7_200_000 {
            if !gaps.contains(where: { $0.contains(t - t0) }) { ts.append(t) }
            t += 15_000
        }
        try w.add(Labels(["__name__": "requests_total", "job": "api"]), timestamps: ts, values: ts.map { counter($0) * scale })
        try w.add(Labels(["__name__": "temperature", "job": "api"]), timestamps: ts, values: ts.map { 20 + sin(Double($0 - t0) / 600_000) })
        let meta = try w.commit { m in m.thanos = ThanosMeta(labels: ["cluster": "c1", "replica": replica], source: "test") }
        return dir + "/" + meta.ulid.description
    }

    /// The two replicas' blocks, a then b.
    static func blocks() throws -> [BlockReader] {
        let dir = TestEnv.tempDir("ha")
        let a = try block(dir + "/a", replica: "a", phase: 0, scale: 1, gaps: [1_200_000..<1_800_000, 4_200_000..<4_800_000])
        let b = try block(dir + "/b", replica: "b", phase: 4000, scale: 0.98, gaps: [2_400_000..<3_000_000])
        return [try BlockReader(dir: a), try BlockReader(dir: b)]
    }

    static func stores() throws -> [LocalBlockStore] {
        let b = try blocks()
        return [LocalBlockStore(name: "a", blocks: [b[0]]), LocalBlockStore(name: "b", blocks: [b[1]])]
    }

    static func range(_ q: String, _ extra: String = "") -> String {
        "/api/v1/query_range?query=\(PromQLDifferential.encode(q))&start=\((t0 + 600_000) / 1000)&end=\((t0 + 7_000_000) / 1000)&step=15\(extra)"
    }

    static func matrix(_ obj: [String: Any]) -> [(labels: [String: String], values: [Double])] {
        let result = ((obj["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return result.map { s in
            let vals = (s["values"] as? [[Any]] ?? []).compactMap { ($0.last as? String).flatMap(Double.init) }
            return (s["metric"] as? [String: String] ?? [:], vals)
        }
    }

    @Test func replicasMergeWithoutGapsOrDoubles() async throws {
        try await QuerierHarness.with(stores: try Self.stores(), configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let steps = (7_000_000 - 600_000) / 15_000 + 1
            let (status, dedup) = try await q.json(Self.range("temperature"))
            #expect(status == 200)
            let m = Self.matrix(dedup)
            #expect(m.count == 1)
            #expect(m.first?.labels == ["__name__": "temperature", "cluster": "c1", "job": "api"])
            #expect(m.first?.values.count == Int(steps), "no step without a value")

            let (_, raw) = try await q.json(Self.range("temperature", "&dedup=false"))
            let r = Self.matrix(raw)
            #expect(r.map { $0.labels["replica"] ?? "" }.sorted() == ["a", "b"])
            #expect(r.allSatisfy { $0.values.count < Int(steps) }, "each replica alone has a gap")

            // 4 samples a minute per replica: the merge never takes both replicas' samples.
            let (_, counts) = try await q.json(Self.range("count_over_time(temperature[1m])"))
            let c = Self.matrix(counts).first?.values ?? []
            #expect(!c.isEmpty && c.allSatisfy { $0 >= 1 && $0 <= 5 }, "\(c)")
        }
    }

    /// `shard_info` (vertical sharding): the querier keeps its replica labels out of the shard
    /// hash, so both replicas of a series land in one shard and are merged there; the shards'
    /// answers together are the unsharded deduplicated answer.
    @Test func shardsKeepReplicasTogether() async throws {
        try await QuerierHarness.with(stores: try Self.stores(), configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let whole = Self.matrix(try await q.json(Self.range("rate(requests_total[5m])")).1)
            #expect(whole.count == 1)
            for info in [#"{"shard_index":I,"total_shards":4,"by":false,"labels":["__name__"]}"#,
                         #"{"shard_index":I,"total_shards":4,"by":true,"labels":["replica","job"]}"#] {
                var parts: [(labels: [String: String], values: [Double])] = []
                for i in 0..<4 {
                    let p = PromQLDifferential.encode(info.replacingOccurrences(of: "I", with: "\(i)"))
                    let (status, doc) = try await q.json(Self.range("rate(requests_total[5m])", "&shard_info=\(p)"))
                    #expect(status == 200)
                    parts += Self.matrix(doc)
                }
                #expect(parts.count == 1 && parts.first?.labels == whole.first?.labels && parts.first?.values == whole.first?.values, "\(info)")
            }
            let (status, _) = try await q.json(Self.range("requests_total", "&shard_info=\(PromQLDifferential.encode(#"{"shard_index":5,"total_shards":2}"#))"))
            #expect(status == 400)
        }
    }

    @Test func counterFunctionsAcrossReplicaSwitches() async throws {
        try await QuerierHarness.with(stores: try Self.stores(), configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let (_, rate) = try await q.json(Self.range("rate(requests_total[5m])"))
            let r = Self.matrix(rate).first?.values ?? []
            #expect(r.count > 400)
            // 0.5/s on a, 0.49/s on b; a fake reset at a switch would add a whole counter value.
            #expect(r.allSatisfy { $0 >= 0.4 && $0 <= 0.6 }, "rate out of range: \(r.filter { $0 < 0.4 || $0 > 0.6 })")

            let end = (Self.t0 + 7_000_000) / 1000
            let (_, resets) = try await q.json("/api/v1/query?query=\(PromQLDifferential.encode("resets(requests_total[2h])"))&time=\(end)")
            let result = ((resets["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            let value = (result.first?["value"] as? [Any])?.last as? String
            #expect(value == "1", "exactly the one real reset, at the switch: \(resets)")

            let (_, inc) = try await q.json("/api/v1/query?query=\(PromQLDifferential.encode("increase(requests_total[90m])"))&time=\(end)")
            let incResult = ((inc["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            let incValue = ((incResult.first?["value"] as? [Any])?.last as? String).flatMap(Double.init) ?? 0
            // 90 minutes at 0.49–0.5/s, the reset well outside the window.
            #expect(incValue > 2600 && incValue < 2750, "increase \(incValue)")
        }
    }

    /// One store stopped: with partial responses the query answers from the other with a
    /// warning naming it; without, it fails. Both right after the stop (the call fails) and
    /// after the endpoint was marked unhealthy (it is not asked, but still reported).
    @Test func stoppedStoreGivesWarningOrError() async throws {
        try await QuerierHarness.with(stores: try Self.stores(), configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let (ok, before) = try await q.json(Self.range("temperature"))
            #expect(ok == 200 && before["warnings"] == nil)
            q.servers[1].shutdown()
            try await Task.sleep(for: .milliseconds(200))
            for round in 0..<2 {
                let (s1, partial) = try await q.json(Self.range("temperature"))
                #expect(s1 == 200, "round \(round)")
                let warnings = partial["warnings"] as? [String] ?? []
                #expect(warnings.contains { $0.contains("127.0.0.1:\(q.storePorts[1])") }, "round \(round): \(partial)")
                #expect(Self.matrix(partial).count == 1)

                let (s2, failed) = try await q.json(Self.range("temperature", "&partial_response=false"))
                #expect(s2 >= 400, "round \(round)")
                #expect(failed["status"] as? String == "error")
                #expect((failed["error"] as? String ?? "").contains("127.0.0.1:\(q.storePorts[1])"))
                // Let the next Info refresh mark the endpoint unhealthy.
                try await Task.sleep(for: .seconds(1))
            }
            let (_, stores) = try await q.json("/api/v1/stores")
            let listed = ((stores["data"] as? [String: Any])?["store"] as? [[String: Any]]) ?? []
            #expect(listed.contains { ($0["healthy"] as? Bool) == false })
        }
    }
}
