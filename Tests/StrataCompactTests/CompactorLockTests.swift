import Foundation
import MetricsTestKit
import StrataCore
import StrataObjStore
import StrataTestSupport
import Synchronization
import Testing
@testable import StrataCompact

/// Writes the lock object but loses the answer: the write happened, the caller sees an error
/// (a dropped connection) or `false` (a retry that met its own write and got 412).
final class AnswerLosingBucket: ForwardingBucket, @unchecked Sendable {
    enum Loss { case error, preconditionFailed }
    let next = Mutex<Loss?>(nil)

    func loseNext(_ loss: Loss) { next.withLock { $0 = loss } }

    private func lose() throws -> Bool {
        switch next.withLock({ l -> Loss? in defer { l = nil }; return l }) {
        case .error?: throw BucketError.transport(operation: "upload", key: CompactorLock.key, message: "connection reset by peer")
        case .preconditionFailed?: return false
        case nil: return true
        }
    }

    override func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        let wrote = try await base.putIfMatch(key, body: body, etag: etag)
        return try wrote && (key != CompactorLock.key || lose())
    }

    override func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool {
        let wrote = try await base.putIfAbsent(key, body: body)
        return try wrote && (key != CompactorLock.key || lose())
    }
}

/// A store that accepts conditional headers and writes regardless (what some S3 clones do).
final class ConditionIgnoringBucket: ForwardingBucket, @unchecked Sendable {
    override var location: String { "S3 bucket \"clone\" at clone.example:9000" }
    override func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        try await base.put(key, bytes: body)
        return true
    }
}

/// The bucket lock's compare-and-swap protocol on the filesystem bucket: takeover, renewal and
/// release, each with its answer lost; garbage and legacy lock objects; clocks ahead and behind.
@Suite struct CompactorLockTests {
    func lock(_ b: any Bucket, ttl: Duration = .seconds(60), clockOffsetMs: Int64 = 0,
              metrics: CompactorMetrics? = nil) -> CompactorLock {
        CompactorLock(bucket: b, ttl: ttl, metrics: metrics) { Int64(Date().timeIntervalSince1970 * 1000) + clockOffsetMs }
    }

    @Test func releasedLockIsFreeAndNeverDeleted() async throws {
        let (bucket, _) = try Fixture.fsBucket("lock-release")
        let metrics = TestMetrics()
        let a = lock(bucket, metrics: CompactorMetrics(factory: metrics))
        try await a.acquire()
        #expect(try metrics.expectGauge("strata_compact_lock_held").lastValue == 1)
        let expiry = try #require(try metrics.expectGauge("strata_compact_lock_expiry_timestamp_seconds").lastValue)
        #expect(abs(expiry - Date().timeIntervalSince1970 - 60) < 5)
        try await a.release()
        #expect(try metrics.expectGauge("strata_compact_lock_held").lastValue == 0)
        #expect(try await a.current() == nil)
        #expect(try await bucket.exists(CompactorLock.key), "released by compare-and-swap, not deleted")
        let b = lock(bucket)
        try await b.acquire()
        #expect(try await b.current()?.owner == b.owner)
        await #expect(throws: CompactorLockError.self) { try await a.renew() }
        try await a.release()  // not ours any more: a no-op
        #expect(try await b.current()?.owner == b.owner)
    }

    @Test func expiredLockIsTakenOverAndTheOldHolderStops() async throws {
        let (bucket, _) = try Fixture.fsBucket("lock-takeover")
        let dead = lock(bucket, ttl: .seconds(1))
        try await dead.acquire()
        try await Task.sleep(for: .milliseconds(1_100))
        let metrics = TestMetrics()
        let next = lock(bucket, metrics: CompactorMetrics(factory: metrics))
        try await next.acquire()
        #expect(try metrics.expectCounter("strata_compact_lock_takeovers_total").totalValue == 1)
        // The old holder wakes up: every step it tries is refused, and it releases nothing.
        await #expect(throws: CompactorLockError.lost(now: try await next.current())) { try await dead.verify() }
        await #expect(throws: CompactorLockError.self) { try await dead.renew() }
        try await dead.release()
        try await next.verify()
    }

    @Test func lostAnswersAreRecognisedByNonce() async throws {
        let (fs, _) = try Fixture.fsBucket("lock-lost-answers")
        let bucket = AnswerLosingBucket(base: fs)
        for loss in [AnswerLosingBucket.Loss.error, .preconditionFailed] {
            let l = lock(bucket, ttl: .seconds(1))
            bucket.loseNext(loss)
            try await l.acquire()  // created, answer lost
            #expect(try await l.current()?.owner == l.owner)
            bucket.loseNext(loss)
            try await l.renew()  // renewed, answer lost
            try await l.verify()
            try await Task.sleep(for: .milliseconds(1_100))
            let taker = lock(bucket, ttl: .seconds(1))
            bucket.loseNext(loss)
            try await taker.acquire()  // takeover of an expired lock, answer lost
            #expect(try await taker.current()?.owner == taker.owner)
            bucket.loseNext(loss)
            try await taker.release()  // released, answer lost
            #expect(try await taker.current() == nil)
        }
    }

    @Test func garbageAndLegacyLockObjectsAreTakenOver() async throws {
        let (bucket, root) = try Fixture.fsBucket("lock-garbage")
        for garbage in ["", "{\"owner\": ", "\u{0}\u{1}binary", "[1,2,3]"] {
            try await bucket.put(CompactorLock.key, bytes: Array(garbage.utf8))
            #expect(try await lock(bucket).current()?.owner == "unreadable")
            let l = lock(bucket)
            try await l.acquire()
            #expect(try await l.current()?.owner == l.owner, "took over \"\(garbage)\"")
        }
        // What an older Strata leaves after a crash: a lock without nonce and a takeover claim.
        let legacy = """
        {"owner": "old-owner", "host": "h", "pid": 7, "acquired": "2020-01-01T00:00:00Z", "expires": "2020-01-01T00:05:00Z", "version": "0.1.0"}
        """
        try await bucket.put(CompactorLock.key, bytes: Array(legacy.utf8))
        try await bucket.put(CompactorLock.legacyClaimPrefix + "old-owner", bytes: Array(legacy.utf8))
        let l = lock(bucket)
        try await l.acquire()
        #expect(try await bucket.list().filter { $0.hasPrefix(CompactorLock.key) } == [CompactorLock.key], "claims removed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".") }.isEmpty, "no temporary files left")
    }

    /// A holder 10 minutes ahead writes an expiry 10 minutes too late; a waiting contender
    /// still takes its dead lock after one TTL of seeing it unchanged. A holder 10 minutes
    /// behind writes expiries already past: its live lock is taken, and it notices.
    @Test(.timeLimit(.minutes(1))) func clockSkewAheadAndBehind() async throws {
        let (bucket, _) = try Fixture.fsBucket("lock-skew")
        let ahead = lock(bucket, ttl: .seconds(2), clockOffsetMs: 600_000)
        try await ahead.acquire()
        let waiter = lock(bucket, ttl: .seconds(2))
        await #expect(throws: CompactorLockError.held(by: try #require(try await ahead.current()))) { try await waiter.acquire() }
        let start = ContinuousClock.now
        try await waiter.acquire(waiting: .milliseconds(200))
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(try await waiter.current()?.owner == waiter.owner)

        let behind = lock(bucket, ttl: .seconds(60), clockOffsetMs: -600_000)
        try await waiter.release()
        try await behind.acquire()
        let other = lock(bucket, ttl: .seconds(60))
        try await other.acquire()
        await #expect(throws: CompactorLockError.self) { try await behind.renew() }
        await #expect(throws: CompactorLockError.self) { try await behind.verify() }
    }

    @Test func ownExpiredLockFailsVerify() async throws {
        let (bucket, _) = try Fixture.fsBucket("lock-own-expiry")
        let l = lock(bucket, ttl: .seconds(1))
        try await l.acquire()
        try await Task.sleep(for: .milliseconds(1_100))
        let expires = try #require(try await l.current()).expiresMs
        await #expect(throws: CompactorLockError.expired(atMs: expires)) { try await l.verify() }
        try await l.renew()  // nobody took it: compare-and-swap makes a late renewal safe
        try await l.verify()
    }

    @Test func storeIgnoringConditionsIsRefused() async throws {
        let (fs, _) = try Fixture.fsBucket("lock-no-cas")
        let l = lock(ConditionIgnoringBucket(base: fs))
        do {
            try await l.acquire()
            Issue.record("acquired a lock on a store without compare-and-swap")
        } catch let e as CompactorLockError {
            guard case .conditionalWritesUnsupported(let b, let detail) = e else { Issue.record("\(e)"); return }
            #expect(b == "S3 bucket \"clone\" at clone.example:9000" && detail.contains("If-Match was ignored"))
            #expect(e.description.contains("will not start") && e.description.contains("docs/compact.md"))
        }
        #expect(try await fs.list().isEmpty, "neither a lock nor the check's scratch object left")
    }
}
