import Foundation
import Logging
import StrataCore
import StrataRemoteWrite
@testable import StrataReceive
import StrataTestSupport
import StrataTSDB
import Synchronization
import Testing

/// Replication and quorum over real heads, with the forwarding to other receivers replaced by
/// a closure that answers as a peer would (the gRPC path is covered by the system tests).
@Suite struct DistributorTests {
    static let local = HashringEndpoint("a:1")

    static func heads() -> TenantHeads {
        TenantHeads(config: TenantHeads.Config(path: TestEnv.tempDir("receive-unit"), externalLabels: Labels(["r": "0"])),
                    bucket: nil, logger: Logger(label: "test"))
    }

    static func batch(_ n: Int, t: Int64 = 1_000) -> WriteBatch {
        WriteBatch(series: (0..<n).map { WriteSeries(labels: Labels(["__name__": "m", "i": String($0)]), samples: [WriteSample(t, Double($0))]) })
    }

    static func distributor(rf: Int, heads: TenantHeads, limits: ReceiveLimits = ReceiveLimits(),
                            forward: @escaping Distributor.Forward) throws -> Distributor {
        let rings = try Hashrings([HashringConfig(endpoints: [local, HashringEndpoint("b:1"), HashringEndpoint("c:1")])])
        return Distributor(local: local, hashrings: rings, replicationFactor: rf,
                           writer: LocalWriter(heads: heads, limits: { limits }, metrics: ReceiveMetrics()),
                           forward: forward, metrics: ReceiveMetrics(), logger: Logger(label: "test"))
    }

    @Test func everySeriesReachesItsOwners() async throws {
        let heads = Self.heads()
        let forwarded = Mutex<[String: Int]>([:])
        let d = try Self.distributor(rf: 2, heads: heads) { e, tenant, replica, b in
            #expect(tenant == "t" && replica >= 1)
            forwarded.withLock { $0[e.address, default: 0] += b.series.count }
        }
        try await d.write(tenant: "t", Self.batch(300))
        let local = try heads.tenant("t").head.seriesCount
        let sent = forwarded.withLock { $0 }
        // 300 series × 2 replicas over 3 receivers, each series on two distinct ones.
        #expect(local + sent.values.reduce(0, +) == 600)
        #expect(local > 100 && local < 300 && sent.count == 2)
    }

    @Test func quorumDecidesTheAnswer() async throws {
        let down: Distributor.Forward = { e, _, _, _ in throw ReceiveError.unavailable("\(e) down") }
        // rf 2: one owner is enough (Thanos's rule), so a single dead peer costs nothing.
        let oneDead = try Self.distributor(rf: 2, heads: Self.heads()) { e, t, r, b in
            if e.address == "b:1" { try await down(e, t, r, b) }
        }
        try await oneDead.write(tenant: "t", Self.batch(100))
        // rf 3 needs 2 of 3: with both peers down every series misses its quorum → 503.
        let twoDead = try Self.distributor(rf: 3, heads: Self.heads(), forward: down)
        await #expect { try await twoDead.write(tenant: "t", Self.batch(10)) } throws: {
            ($0 as? ReceiveError)?.httpStatus == 503 && "\($0)".contains("quorum not reached")
        }
        let oneOfThreeDead = try Self.distributor(rf: 3, heads: Self.heads()) { e, t, r, b in
            if e.address == "c:1" { try await down(e, t, r, b) }
        }
        try await oneOfThreeDead.write(tenant: "t", Self.batch(100))
    }

    /// A peer's refusal of samples (out of order) is an answer, not an outage: the write
    /// counts as acknowledged and the client gets the 400, not a retry.
    @Test func refusalsAcknowledgeAndArePassedOn() async throws {
        let d = try Self.distributor(rf: 3, heads: Self.heads()) { _, _, _, _ in throw ReceiveError.conflict("out of order sample (1 sample)") }
        await #expect { try await d.write(tenant: "t", Self.batch(5)) } throws: { ($0 as? ReceiveError)?.httpStatus == 400 }
        let limited = try Self.distributor(rf: 3, heads: Self.heads()) { _, _, _, _ in throw ReceiveError.tooManyRequests("over") }
        await #expect { try await limited.write(tenant: "t", Self.batch(5)) } throws: { ($0 as? ReceiveError)?.httpStatus == 429 }
    }

    @Test func forwardedWritesAreOnlyAppendedHere() async throws {
        let heads = Self.heads()
        let d = try Self.distributor(rf: 3, heads: heads) { _, _, _, _ in Issue.record("a forwarded write was forwarded again") }
        try await d.write(tenant: "t", Self.batch(50), replica: 2)
        #expect(try heads.tenant("t").head.seriesCount == 50)
        await #expect { try await d.write(tenant: "../x", Self.batch(1)) } throws: { ($0 as? ReceiveError)?.httpStatus == 400 }
    }
}

@Suite struct LocalWriterTests {
    @Test func refusedSamplesDoNotStopTheOthers() throws {
        let heads = DistributorTests.heads()
        let w = LocalWriter(heads: heads, limits: { ReceiveLimits() }, metrics: ReceiveMetrics())
        try w.write(tenant: "t", DistributorTests.batch(10, t: 2_000))
        var b = DistributorTests.batch(10, t: 1_000)  // older: out of order for all ten
        b.series.append(WriteSeries(labels: Labels(["__name__": "new"]), samples: [WriteSample(1_000, 1)]))
        #expect { try w.write(tenant: "t", b) } throws: { ($0 as? ReceiveError) == .conflict("out of order sample (10 samples)") }
        // The new series was written all the same.
        #expect(try heads.tenant("t").head.seriesCount == 11)
        // Custom-bucket histograms cannot go into the WAL 2.42 reads: that series is refused.
        var h = WriteBatch(series: [WriteSeries(labels: Labels(["__name__": "h"]),
                                                histograms: [WriteHistogram(3_000, .int(Histogram(schema: -53, count: 1, customValues: [1])))])])
        h.series.append(WriteSeries(labels: Labels(["__name__": "ok"]), samples: [WriteSample(3_000, 1)]))
        #expect { try w.write(tenant: "t", h) } throws: { ($0 as? ReceiveError)?.httpStatus == 400 && "\($0)".contains("1 series refused") }
        // The refused series never entered the head; the other one did.
        #expect(try heads.tenant("t").head.seriesCount == 12)
    }

    @Test func headSeriesLimitAnswers429() throws {
        var l = ReceiveLimits()
        l.tenants["small"] = .init(headSeries: 5)
        let limits = l
        let w = LocalWriter(heads: DistributorTests.heads(), limits: { limits }, metrics: ReceiveMetrics())
        try w.write(tenant: "small", DistributorTests.batch(5))
        #expect { try w.write(tenant: "small", DistributorTests.batch(1, t: 9_000)) } throws: { ($0 as? ReceiveError)?.httpStatus == 429 }
        try w.write(tenant: "other", DistributorTests.batch(50))
    }

    @Test func tenantNamesMustBeDirectoryNames() {
        for bad in ["", ".", "..", "a/b", "a\\b"] { #expect(!TenantHeads.isValidTenant(bad)) }
        for good in ["default-tenant", "team_a", "Acme.Corp"] { #expect(TenantHeads.isValidTenant(good)) }
    }
}

@Suite struct InflightBudgetTests {
    @Test func reservesUpToTheLimitButNeverBlocksALoneRequest() {
        let b = InflightBudget(limit: 100, metrics: ReceiveMetrics())
        #expect(b.reserve(60))
        #expect(!b.reserve(50))
        #expect(b.reserve(40))
        b.release(100)
        #expect(b.reserve(500))  // alone: passes even over the budget
        #expect(!b.reserve(1))
        b.release(500)
        #expect(b.enter(limit: 1) && !b.enter(limit: 1))
        b.leave()
        #expect(b.enter(limit: 1))
    }
}

@Suite struct ConfigFilesTests {
    @Test func changedHashringsAreAppliedAndBrokenOnesKeepThePrevious() throws {
        let dir = TestEnv.tempDir("receive-config")
        let file = dir + "/hashrings.json"
        try "[{\"endpoints\": [\"a:1\"]}]".write(toFile: file, atomically: true, encoding: .utf8)
        let c = ConfigFiles(hashringsFile: file, algorithm: "hashmod", limitsFile: nil, metrics: ReceiveMetrics(), logger: Logger(label: "test"))
        let (first, _) = try c.loadInitial(local: "a:1", self: "a:1", replicationFactor: 1)
        #expect(first.endpoints.map(\.address) == ["a:1"])
        let seen = Mutex<[[String]]>([])
        c.onHashrings = { r in seen.withLock { $0.append(r.endpoints.map(\.address)) } }
        try "[{\"endpoints\": [\"a:1\", \"b:1\"]}]".write(toFile: file, atomically: true, encoding: .utf8)
        c.reload()
        try "[{\"endpoints\": ".write(toFile: file, atomically: true, encoding: .utf8)
        c.reload()
        c.reload()
        #expect(seen.withLock { $0 } == [["a:1", "b:1"]])
        #expect { try c.loadInitial(local: nil, self: "a:1", replicationFactor: 1) } throws: { "\($0)".contains("--receive.local-endpoint is required") }
        let noFile = ConfigFiles(hashringsFile: nil, algorithm: "hashmod", limitsFile: nil, metrics: ReceiveMetrics(), logger: Logger(label: "test"))
        #expect { try noFile.loadInitial(local: nil, self: "a:1", replicationFactor: 2) } throws: { "\($0)".contains("needs --receive.hashrings-file") }
    }
}

/// Interned series are appended by the head ref tagged on them, and fall back to their labels
/// once the head dropped the series (after a block cut).
@Suite struct InternedRefTests {
    @Test func cachedRefsAndTheirFallback() throws {
        let heads = DistributorTests.heads()
        let interners = TenantInterners()
        let w = LocalWriter(heads: heads, limits: { ReceiveLimits() }, metrics: ReceiveMetrics(), interners: interners)
        func request(_ t: Int64) throws -> WriteBatch {
            try RemoteWriteV1.decode(RemoteWriteV1.encode(DistributorTests.batch(20, t: t)), interner: interners.interner("t"))
        }
        try w.write(tenant: "t", try request(1_000))
        let second = try request(2_000)
        #expect(second.series.allSatisfy { $0.internTag != 0 }, "the first write tagged every series with its ref")
        try w.write(tenant: "t", second)
        let head = try heads.tenant("t").head
        #expect(head.seriesCount == 20 && head.stats.samples == 40)
        // Everything cut into blocks: the series leave the head, the cached refs go stale.
        _ = try head.cutBlocks(force: true)
        #expect(head.seriesCount == 0)
        try w.write(tenant: "t", try request(3_000))
        try w.write(tenant: "t", try request(4_000))
        #expect(head.seriesCount == 20 && head.stats.samples == 40)
    }
}

/// Known series decoded by head ref alone (`WriteBatch.known`): written like the others, by
/// their interned labels once the head dropped the ref, and given their labels back when the
/// batch must be routed after all.
@Suite struct KnownSeriesTests {
    static func request(_ interners: TenantInterners, _ t: Int64, knownByRef: Bool = true) throws -> WriteBatch {
        var b = DistributorTests.batch(20, t: t)
        b.series[0].exemplars = [WriteExemplar(labels: Labels(["trace_id": "x"]), timestamp: t, value: 1)]
        return try RemoteWriteV1.decode(RemoteWriteV1.encode(b), interner: interners.interner("t"), knownByRef: knownByRef)
    }

    @Test func decodedByRefAndWritten() throws {
        let heads = DistributorTests.heads()
        let interners = TenantInterners()
        let w = LocalWriter(heads: heads, limits: { ReceiveLimits() }, metrics: ReceiveMetrics(), interners: interners)
        let first = try Self.request(interners, 1_000)
        #expect(first.known.isEmpty && first.series.count == 20, "nothing has a head ref yet")
        try w.write(tenant: "t", first)
        let second = try Self.request(interners, 2_000)
        // The series with an exemplar keeps its labels; the other 19 are (ref, samples).
        #expect(second.series.count == 1 && second.known.count == 19 && second.knownSamples.count == 19)
        #expect(second.seriesCount == 20 && second.sampleCount == 20)
        #expect(second.known.allSatisfy { $0.ref != 0 && $0.samples.count == 1 })
        #expect(try Self.request(interners, 2_000, knownByRef: false).known.isEmpty)
        try w.write(tenant: "t", second)
        let head = try heads.tenant("t").head
        #expect(head.seriesCount == 20 && head.stats.samples == 40)
        // The refs go stale at a block cut: the known series are appended by their interned labels.
        _ = try head.cutBlocks(force: true)
        try w.write(tenant: "t", try Self.request(interners, 3_000))
        #expect(head.seriesCount == 20 && head.stats.samples == 20)
        try w.write(tenant: "t", try Self.request(interners, 4_000))
        #expect(head.seriesCount == 20 && head.stats.samples == 40)
        // A known series whose sample is out of order is refused like any other.
        #expect { try w.write(tenant: "t", try Self.request(interners, 3_500)) } throws: { ($0 as? ReceiveError)?.httpStatus == 400 }
    }

    @Test func labelsComeBackForRouting() throws {
        let interners = TenantInterners()
        let w = LocalWriter(heads: DistributorTests.heads(), limits: { ReceiveLimits() }, metrics: ReceiveMetrics(), interners: interners)
        try w.write(tenant: "t", try Self.request(interners, 1_000))
        let known = try Self.request(interners, 2_000)
        let routed = try w.withLabels(tenant: "t", known)
        let plain = try RemoteWriteV1.decode(RemoteWriteV1.encode(DistributorTests.batch(20, t: 2_000)))
        #expect(routed.known.isEmpty && Set(routed.series.map(\.labels)) == Set(plain.series.map(\.labels)))
        #expect(routed.sampleCount == 20)
        #expect { try w.withLabels(tenant: "other", known) } throws: { ($0 as? ReceiveError)?.httpStatus == 503 }
    }
}
