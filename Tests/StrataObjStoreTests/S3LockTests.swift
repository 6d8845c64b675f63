import Foundation
import StrataCompact
import StrataTestSupport
import Synchronization
import Testing
@testable import StrataObjStore

/// The compactor lock on moto behind a misbehaving proxy: a store that answers
/// `501 NotImplemented` to `If-Match` is refused by name, and contenders that die, lose
/// answers and meet 500s never hold the lock two at once, nor leave it wedged.
@Suite("compactor lock on S3", .serialized)
struct S3LockTests {
    static let retry = RetryPolicy(maxAttempts: 4, initialBackoffMs: 10, maxBackoffMs: 100)

    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(2)))
    func storeWithoutIfMatchIsRefused() async throws {
        try await withMoto { moto in
            try await moto.makeBucket("nocas").close()
            let proxy = try await FaultProxy.start(upstream: "127.0.0.1:\(moto.port)") { _, head in
                head.headers["if-match"].isEmpty ? .none : .status(501, code: "NotImplemented")
            }
            let b = try S3Bucket(config: MotoServer.config(bucket: "nocas", port: proxy.port), retry: Self.retry)
            let outcome: Result<Void, any Error>
            do { outcome = .success(try await CompactorLock(bucket: b).acquire()) } catch { outcome = .failure(error) }
            let left = try await b.list()
            try await b.close()
            let stats = proxy.snapshot
            await proxy.stop()
            guard case .failure(let e as CompactorLockError) = outcome,
                  case .conditionalWritesUnsupported(let name, let detail) = e else {
                Issue.record("expected conditionalWritesUnsupported, got \(outcome)")
                return
            }
            #expect(name == "S3 bucket \"nocas\" at 127.0.0.1:\(proxy.port)")
            #expect(detail.contains("NotImplemented"), "\(detail)")
            #expect(stats.faults.values.reduce(0, +) == 1, "501 is not retried: \(stats.faults)")
            #expect(left.isEmpty, "no lock and no scratch object left: \(left)")
        }
    }

    /// Four contenders, each a fresh "process" (own client and owner) per round, through a
    /// proxy that fails 10% of requests with 500, drops 5% of answers after moto acted on the
    /// request and 3% before forwarding. A contender holds for up to 2 s while renewing, then
    /// releases or dies (30%: the lock object stays behind). Checked: no acquisition while
    /// another holder's lease (last successful write + TTL) is still running; after a death
    /// the lock is taken again within a bounded time; with faults off, it is free at the end.
    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(3)))
    func contendersThroughFaultsNeverOverlapNorWedge() async throws {
        try await withMoto { moto in
            try await moto.makeBucket("chaos").close()
            let faultsOn = Atomic<Bool>(true)
            let proxy = try await FaultProxy.start(upstream: "127.0.0.1:\(moto.port)") { n, _ in
                guard faultsOn.load(ordering: .relaxed) else { return .none }
                switch (UInt64(n) &* 0x9E37_79B9_7F4A_7C15) >> 57 {  // 0..<128, spread over n
                case 0..<13: return .error500
                case 13..<19: return .dropMidBody
                case 19..<23: return .dropBeforeForward
                default: return .none
                }
            }
            let ttl = Duration.seconds(3)
            let referee = Referee()
            let end = ContinuousClock.now + .seconds(40)
            await withTaskGroup(of: Void.self) { group in
                for c in 0..<4 {
                    group.addTask { await Self.contend(c, proxyPort: proxy.port, ttl: ttl, until: end, referee: referee) }
                }
            }
            faultsOn.store(false, ordering: .relaxed)
            // Whatever the last round left (a dead holder's lock), a newcomer gets it in bounded time.
            let b = try S3Bucket(config: MotoServer.config(bucket: "chaos", port: proxy.port), retry: Self.retry)
            let start = ContinuousClock.now
            let last = CompactorLock(bucket: b, ttl: ttl)
            try await last.acquire(waiting: .milliseconds(200))
            let finalWait = ContinuousClock.now - start
            try await last.release()
            #expect(try await b.list().filter { $0.hasPrefix(CompactorLock.key) } == [CompactorLock.key])
            try await b.close()
            let stats = proxy.snapshot
            await proxy.stop()

            let r = referee.report
            print("lock chaos: \(r.acquisitions) acquisitions, \(r.deaths) deaths, \(r.releases) releases, " +
                  "longest wait after a death \(r.longestWedge), final wait \(finalWait), \(stats.requests) requests, faults \(stats.faults)")
            #expect(r.violations.isEmpty, "\(r.violations)")
            #expect(r.acquisitions >= 10 && r.deaths >= 2, "\(r)")
            #expect(r.longestWedge < ttl * 3, "a dead holder's lock stayed untaken for \(r.longestWedge)")
            #expect(finalWait < ttl * 3)
            #expect(stats.faults.values.reduce(0, +) > 20, "\(stats.faults)")
        }
    }

    static func contend(_ id: Int, proxyPort: Int, ttl: Duration, until end: ContinuousClock.Instant, referee: Referee) async {
        while ContinuousClock.now < end {
            guard let b = try? S3Bucket(config: MotoServer.config(bucket: "chaos", port: proxyPort), retry: retry) else { return }
            let lock = CompactorLock(bucket: b, ttl: ttl)
            // The lease is counted from the start of the attempt that won: never longer than
            // the expiry the winning write put in the object.
            var leaseStart: ContinuousClock.Instant?
            while leaseStart == nil && ContinuousClock.now < end {
                let attempt = ContinuousClock.now
                do {
                    try await lock.acquire()
                    leaseStart = attempt
                } catch {
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            if let leaseStart {
                referee.acquired(lock.owner, leaseFrom: leaseStart, ttl: ttl)
                let holdUntil = ContinuousClock.now + .milliseconds(Int.random(in: 200...2_000))
                var lost = false
                while ContinuousClock.now < holdUntil && !lost {
                    try? await Task.sleep(for: ttl / 3)
                    let renewStart = ContinuousClock.now
                    do {
                        try await lock.renew()
                        referee.renewed(lock.owner, leaseFrom: renewStart, ttl: ttl)
                    } catch is CompactorLockError {
                        lost = true
                    } catch {}  // an unlucky renewal: the lease runs on until the next one
                }
                if !lost && Int.random(in: 0..<10) < 3 {
                    referee.left(lock.owner, died: true)  // SIGKILL: the lock object stays
                } else {
                    referee.left(lock.owner, died: false)
                    try? await lock.release()
                }
            }
            try? await b.close()
        }
    }
}

/// Watches the contenders: who holds a lease until when, acquisitions, deaths, and how long
/// a dead holder's lock stays untaken.
final class Referee: Sendable {
    struct Report: Sendable {
        var acquisitions = 0, deaths = 0, releases = 0
        var violations: [String] = []
        var longestWedge: Duration = .zero
    }
    private struct State {
        var leases: [String: ContinuousClock.Instant] = [:]
        var deadSince: ContinuousClock.Instant?
        var report = Report()
    }
    private let state = Mutex(State())

    var report: Report { state.withLock { $0.report } }

    func acquired(_ owner: String, leaseFrom start: ContinuousClock.Instant, ttl: Duration) {
        let now = ContinuousClock.now
        state.withLock { s in
            for (other, until) in s.leases where until > now {
                s.report.violations.append("\(owner) acquired while \(other)'s lease ran for another \(until - now)")
            }
            s.leases = [owner: start + ttl]
            s.report.acquisitions += 1
            if let d = s.deadSince { s.report.longestWedge = max(s.report.longestWedge, now - d) }
            s.deadSince = nil
        }
    }

    func renewed(_ owner: String, leaseFrom start: ContinuousClock.Instant, ttl: Duration) {
        state.withLock { s in if s.leases[owner] != nil { s.leases[owner] = start + ttl } }
    }

    func left(_ owner: String, died: Bool) {
        state.withLock { s in
            s.leases[owner] = nil
            if died {
                s.report.deaths += 1
                s.deadSince = ContinuousClock.now
            } else {
                s.report.releases += 1
            }
        }
    }
}
