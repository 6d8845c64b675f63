import Foundation
import Logging
import StrataCore
import StrataObjStore
import Synchronization

/// Why a compactor may not work on a bucket right now.
public enum CompactorLockError: Error, CustomStringConvertible, Equatable {
    /// Another compactor holds the bucket lock (its lock object is shown).
    case held(by: CompactorLock.Holder)
    /// Our lock object was replaced or released while we held it: stop before doing damage.
    case lost(now: CompactorLock.Holder?)
    /// Our lock expired before a renewal got through: another compactor may take it any moment.
    case expired(atMs: Int64)
    /// Another process uses the same `--data-dir`.
    case dataDirInUse(String)
    /// The object store does not honour conditional writes, so no lock can be trusted.
    case conditionalWritesUnsupported(bucket: String, detail: String)
    /// Another live compactor, there first, selects groups this one selects too (`groups`
    /// empty: one of the two compacts the whole bucket).
    case overlap(with: CompactorLock.Holder, ours: String?, groups: [Labels])

    public var description: String {
        switch self {
        case .held(let h):
            return "bucket is locked by another compactor: owner \(h.owner) on host \(h.host) pid \(h.pid), acquired \(formatRFC3339(h.acquiredMs)), expires \(formatRFC3339(h.expiresMs)) unless renewed (use --lock.wait to wait for it)"
        case .lost(let h):
            return "lost the bucket lock" + (h.map { ": now held by \($0.owner) on host \($0.host) pid \($0.pid)" } ?? ": the lock was released or removed")
        case .expired(let at):
            return "lost the bucket lock: it expired at \(formatRFC3339(at)) before a renewal got through (the object store failed for longer than --lock.ttl)"
        case .dataDirInUse(let d):
            return "another process uses --data-dir \(d) (flock on \(d)/\(DataDirLock.fileName) is taken)"
        case .overlap(let h, let ours, let groups):
            func name(_ s: String?) -> String { s.map { "--selector.relabel-config \"\(CompactorSelection.oneLine($0))\"" } ?? "the whole bucket (no --selector.relabel-config)" }
            let shared = groups.isEmpty ? "" : "; both select the groups " + groups.map(\.description).joined(separator: ", ")
            return "selection overlaps a live compactor's: \(h.who), acquired \(formatRFC3339(h.acquiredMs)), compacts \(name(h.selection)); this compactor compacts \(name(ours))\(shared). Compactors sharing a bucket must select disjoint groups"
        case .conditionalWritesUnsupported(let b, let detail):
            return "\(b) does not support conditional writes (\(detail)). strata-compact needs PUT with If-None-Match: * and If-Match to be sure it never runs beside another compactor, so it will not start. Use an object store that supports them (AWS S3, a recent MinIO: see docs/compact.md, \"Object stores\") or upgrade this one."
        }
    }
}

/// The compactor's singleton lock: one JSON object, `strata-compact.lock`, at the bucket root,
/// changed only by compare-and-swap; with `--selector.relabel-config` one object per selection,
/// `strata-compact-shards/<shard id>.lock`, and live compactors whose selections overlap refuse
/// to work beside each other (`checkOverlaps`).
///
/// Creating it is a create-if-absent write (`If-None-Match: *`); every later change —
/// renewal, takeover of an expired or unreadable lock, release — replaces exactly the version
/// that was read (`If-Match: <ETag>`; a `flock`-guarded compare and rename on the filesystem
/// bucket). Of several contenders exactly one write lands; there is no intermediate object
/// whose writer could die and wedge the bucket. A write whose answer is lost is recognised
/// by reading the object back and finding the write's own nonce. Release marks the object
/// `released` instead of deleting it, so it never removes a lock someone else just took.
/// Before every destructive step the holder re-reads the lock and stops unless it is still
/// its own and unexpired.
public final class CompactorLock: Sendable {
    /// The whole-bucket lock (no selection).
    public static let key = "strata-compact.lock"
    /// Where the locks of compactors with a selection live (one listing finds them all).
    public static let shardPrefix = "strata-compact-shards/"
    /// Takeover claims written by Strata versions before compare-and-swap; the holder removes them.
    static let legacyClaimPrefix = key + ".takeover-"
    /// Scratch objects of the conditional-write check, one per process.
    static let checkPrefix = key + ".cas-check-"

    let bucket: any Bucket
    /// Fresh per process, so a restarted compactor never mistakes its predecessor's lock for its own.
    public let owner: String
    public let ttl: Duration
    /// This compactor's selection (nil: the whole bucket) and the lock object it implies.
    public let selection: CompactorSelection?
    public let key: String
    let replicaLabels: Set<String>
    private let clock: @Sendable () -> Int64
    private let metrics: CompactorMetrics?
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var checkedConditionalWrites = false
        /// Warnings already logged, by holder and kind: one per dead holder, not one per poll.
        var warned: Set<String> = []
        /// The lock version seen last and since when (monotonic): a version unchanged for
        /// longer than its holder's TTL belongs to a dead holder, whatever the clocks say.
        var lastSeen: (etag: String, since: ContinuousClock.Instant)?
        /// When we acquired: of two overlapping compactors the later one stops.
        var acquiredMs: Int64?
        /// The distinct external label sets of the bucket's blocks at the last sync, over
        /// which selections are compared.
        var labelSets: [Labels] = []
    }

    public init(bucket: any Bucket, ttl: Duration = .seconds(300), owner: String = UUID().uuidString,
                metrics: CompactorMetrics? = nil, logger: Logger = Logger(label: "compact.lock"),
                selection: CompactorSelection? = nil, replicaLabels: Set<String> = [],
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.bucket = bucket
        self.selection = selection
        self.key = selection.map { Self.shardPrefix + $0.shardID + ".lock" } ?? Self.key
        self.replicaLabels = replicaLabels
        self.ttl = ttl
        self.owner = owner
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    var ttlMs: Int64 { ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000 }

    private func fresh(acquiredMs: Int64? = nil) -> Holder {
        let now = clock()
        return Holder(owner: owner, host: ProcessInfo.processInfo.hostName, pid: Int(getpid()), acquiredMs: acquiredMs ?? now,
                      renewedMs: now, expiresMs: now + ttlMs, nonce: UUID().uuidString, selection: selection?.text)
    }

    /// The current holder; nil when the bucket is free (no object, or a released one). An
    /// unreadable object counts as a holder that expired at time 0 (taken over, not obeyed).
    public func current() async throws -> Holder? {
        guard let seen = try await observe() else { return nil }
        guard let h = seen.holder else { return Holder(owner: "unreadable", host: "?", pid: 0, acquiredMs: 0, expiresMs: 0) }
        return h.released ? nil : h
    }

    func observe() async throws -> Observed? {
        do {
            let v = try await bucket.getVersioned(key)
            return Observed(etag: v.etag, holder: Holder(json: v.bytes), bytes: v.bytes)
        } catch let e as BucketError where e.isNotFound {
            return nil
        }
    }

    /// Takes the lock or throws `.held` naming the live holder; then removes leftovers.
    public func acquire() async throws {
        try await take()
        await removeLeftovers()
    }

    private func take() async throws {
        try await checkConditionalWrites()
        // A lost race is decided again from a fresh read: the winner is then a live holder.
        for _ in 0..<3 {
            let seen = try await observe()
            if let seen, let h = seen.holder, !h.released {
                if h.owner == owner {
                    // Ours already: an earlier attempt landed but its answer was lost.
                    if try await commit(fresh(acquiredMs: h.acquiredMs), replacing: seen.etag, takeover: false) { return }
                    continue
                }
                guard isDead(h, etag: seen.etag) else { throw CompactorLockError.held(by: h) }
            } else if let seen, seen.holder == nil {
                logger.warning("the bucket lock object is not a lock; treating it as expired and taking it over",
                               metadata: ["key": "\(key)", "found": "\(seen.garbageSummary)", "etag": "\(seen.etag)"])
            }
            let takeover = seen.map { $0.holder?.released != true } ?? false
            if try await commit(fresh(), replacing: seen?.etag, takeover: takeover) { return }
        }
        throw CompactorLockError.held(by: try await current() ?? Holder(owner: "?", host: "?", pid: 0, acquiredMs: 0, expiresMs: 0))
    }

    /// Waits until the lock is ours, polling every `interval` or at the holder's expiry if
    /// sooner. Object store failures are reported to `onError` and waited out.
    public func acquire(waiting interval: Duration, onWait: (Holder) -> Void = { _ in },
                        onError: (any Error) -> Void = { _ in }) async throws {
        while true {
            var pause = interval
            do {
                return try await acquire()
            } catch CompactorLockError.held(let h) {
                onWait(h)
                pause = min(interval, .milliseconds(max(100, h.expiresMs - clock() + 100)))
            } catch let e as CompactorLockError {
                throw e
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                onError(error)
            }
            try await Task.sleep(for: pause)
        }
    }

    /// Throws unless the lock object is still ours and unexpired, and no live compactor that
    /// was there first selects a group we select.
    public func verify() async throws {
        let h = try await current()
        guard let h, h.owner == owner else { throw CompactorLockError.lost(now: h) }
        guard h.expiresMs > clock() else { throw CompactorLockError.expired(atMs: h.expiresMs) }
        try await checkOverlaps()
    }

    /// The external label sets of the bucket's blocks, as the last sync found them: the
    /// ground on which selections are compared.
    public func noteLabelSets(_ sets: [Labels]) {
        state.withLock { $0.labelSets = sets }
    }

    /// Throws `.overlap` when another live compactor (its lock unexpired and not released)
    /// whose lock is older than ours selects a group we select. Of two overlapping compactors
    /// the one that acquired later stops, whichever looks first; both check before every
    /// destructive step, so they never both act. A whole-bucket compactor overlaps every other.
    public func checkOverlaps() async throws {
        let (mine, labelSets) = state.withLock { ($0.acquiredMs ?? Int64.max, $0.labelSets) }
        var keys = [Self.key]
        keys += try await bucket.list(prefix: Self.shardPrefix).filter { $0.hasSuffix(".lock") }
        let now = clock()
        for k in keys where k != key {
            let other: Holder
            do {
                guard let h = Holder(json: try await bucket.getVersioned(k).bytes) else { continue }
                other = h
            } catch let e as BucketError where e.isNotFound {
                continue
            }
            guard !other.released, other.expiresMs >= now, other.owner != owner,
                  (other.acquiredMs, other.owner) < (mine, owner) else { continue }
            // Rules we cannot read are taken as the whole bucket: overlap is assumed, not ruled out.
            let theirs = other.selection.flatMap { try? CompactorSelection(yaml: $0) }
            if selection == nil || theirs == nil {
                throw CompactorLockError.overlap(with: other, ours: selection?.text, groups: [])
            }
            let groups = CompactorSelection.overlap(selection, theirs, labelSets: labelSets, replicaLabels: replicaLabels)
            if !groups.isEmpty { throw CompactorLockError.overlap(with: other, ours: selection?.text, groups: groups) }
        }
    }

    /// Pushes `expires` one TTL ahead, replacing exactly the version we hold.
    public func renew() async throws {
        guard let seen = try await observe(), let h = seen.holder, h.owner == owner, !h.released else {
            metrics?.lockHeld.record(0)
            throw CompactorLockError.lost(now: try await current())
        }
        guard try await commit(fresh(acquiredMs: h.acquiredMs), replacing: seen.etag, takeover: false) else {
            metrics?.lockHeld.record(0)
            throw CompactorLockError.lost(now: try await current())
        }
    }

    /// Renews every TTL/3 until cancelled; returns (by throwing `.lost`) only when the lock
    /// was taken from us. A failed renewal (S3 unreachable) is retried at the next tick: the
    /// lock stays ours until it expires.
    public func keepRenewed(onError: (Error) -> Void = { _ in }) async throws {
        while true {
            try await Task.sleep(for: ttl / 3)
            do { try await renew() } catch let e as CompactorLockError { throw e } catch is CancellationError { throw CancellationError() } catch { onError(error) }
        }
    }

    /// Marks the lock released if it is ours (the bucket is free at once, no TTL to wait).
    public func release() async throws {
        defer { metrics?.lockHeld.record(0) }
        guard let seen = try await observe(), let h = seen.holder, h.owner == owner, !h.released else { return }
        var done = fresh(acquiredMs: h.acquiredMs)
        done.released = true
        done.expiresMs = done.renewedMs
        // False: someone took an expired lock of ours meanwhile; theirs now, not ours to release.
        _ = try await commit(done, replacing: seen.etag, takeover: false)
    }

    /// Writes `new` if the lock object is still version `etag` (nil: absent). True when our
    /// write is the one in the bucket, also when its answer was lost (found by its nonce).
    /// A failure that leaves the outcome unknown and the object not ours is rethrown.
    private func commit(_ new: Holder, replacing etag: String?, takeover: Bool) async throws -> Bool {
        var failure: (any Error)?
        do {
            let wrote = if let etag {
                try await bucket.putIfMatch(key, body: new.encoded, etag: etag)
            } else {
                try await bucket.putIfAbsent(key, body: .bytes(new.encoded))
            }
            if wrote { return committed(new, takeover: takeover) }
        } catch BucketError.unsupported(let op, _, let message) {
            throw CompactorLockError.conditionalWritesUnsupported(bucket: bucket.location, detail: "\(op): \(message)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            failure = error
        }
        // A retry of a write that landed sees 412; a dropped answer says nothing. Read back.
        do {
            if try await observe()?.holder?.nonce == new.nonce { return committed(new, takeover: takeover) }
        } catch {
            throw failure ?? error
        }
        if let failure { throw failure }
        return false
    }

    private func committed(_ h: Holder, takeover: Bool) -> Bool {
        if !h.released { state.withLock { $0.acquiredMs = h.acquiredMs } }
        metrics?.lockHeld.record(h.released ? 0 : 1)
        metrics?.lockExpiry.record(Double(h.expiresMs) / 1000)
        if takeover { metrics?.lockTakeovers.increment() }
        return true
    }

    /// Whether `h` (not ours, not released) belongs to a dead holder: its `expires` has
    /// passed by our clock, or this version has stayed unchanged for longer than the
    /// holder's TTL while we watched (a live holder renews every third of it) — which also
    /// frees the lock of a dead holder whose clock ran ahead. Warns about what looks wrong.
    private func isDead(_ h: Holder, etag: String) -> Bool {
        let now = clock()
        metrics?.lockExpiry.record(Double(h.expiresMs) / 1000)
        let holderTTL = h.ttlMs > 0 ? h.ttlMs : ttlMs
        let unchanged = state.withLock { s -> Duration in
            let t = ContinuousClock.now
            if let last = s.lastSeen, last.etag == etag { return t - last.since }
            s.lastSeen = (etag, t)
            return .zero
        }
        if h.renewedMs > now + ttlMs / 3 {
            warnOnce(h, "clock", "the lock holder's clock is ahead of ours; compactor clocks must agree to well within a third of --lock.ttl",
                     ["ahead_by": "\(formatDuration(h.renewedMs - now))"])
        }
        if now - h.expiresMs > holderTTL {
            warnOnce(h, "overdue", "the bucket lock has been expired for longer than its TTL without being taken over; taking it over",
                     ["expired_for": "\(formatDuration(now - h.expiresMs))"])
        }
        return h.expiresMs < now || unchanged > .milliseconds(holderTTL + ttlMs / 10)
    }

    private func warnOnce(_ h: Holder, _ kind: String, _ message: Logger.Message, _ extra: Logger.Metadata) {
        guard state.withLock({ $0.warned.insert(h.owner + "/" + kind).inserted }) else { return }
        logger.warning(message, metadata: extra.merging([
            "holder": "\(h.owner)", "host": "\(h.host)", "pid": "\(h.pid)", "expires": "\(formatRFC3339(h.expiresMs))",
        ]) { a, _ in a })
    }

    /// Once per process: refuse to lock a bucket whose store ignores or rejects conditional writes.
    private func checkConditionalWrites() async throws {
        if state.withLock({ $0.checkedConditionalWrites }) { return }
        do {
            try await bucket.checkConditionalWrites(scratchKey: Self.checkPrefix + owner)
        } catch BucketError.unsupported(let op, _, let message) {
            throw CompactorLockError.conditionalWritesUnsupported(bucket: bucket.location, detail: "\(op): \(message)")
        }
        state.withLock { $0.checkedConditionalWrites = true }
    }

    /// Removes, while we hold the lock, takeover claims of Strata versions before
    /// compare-and-swap (nothing else ever would) and scratch objects of conditional-write
    /// checks whose process died mid-check. Best effort: a failure is retried next time.
    public func removeLeftovers() async {
        let hourAgo = Date(timeIntervalSince1970: Double(clock()) / 1000 - 3600)
        do {
            for name in try await bucket.list() where name.hasPrefix(Self.legacyClaimPrefix) || name.hasPrefix(Self.checkPrefix) {
                if name.hasPrefix(Self.checkPrefix), (try? await bucket.attributes(name))?.lastModified ?? .distantPast > hourAgo { continue }
                try await bucket.deleteIfExists(name)
                logger.info("removed a leftover lock object", metadata: ["key": "\(name)"])
            }
        } catch {
            logger.warning("cannot remove leftover lock objects; tried again at the next acquisition", metadata: ["err": "\(error)"])
        }
    }
}
