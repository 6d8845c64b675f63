import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// One compactor pass over a bucket, in the order that never loses a sample:
/// sync metas → retention → duplicates an interrupted pass left → compaction per group
/// (upload, then mark the sources) → downsampling, then downsampled copies superseded by a
/// new one → deletion of blocks marked longer than the delete delay → removal of abandoned
/// partial uploads.
///
/// A block that cannot be read, or that overlaps another when overlaps are not expected, is
/// quarantined (no-compact and no-downsample marks with the reason); its group goes on
/// without it, and the pass reports it so the job exits non-zero. A bucket error fails the
/// job it hit, not the other groups. Losing the lock stops the pass at once.
public final class Compactor: Sendable {
    let bucket: any Bucket
    let config: CompactorConfig
    /// nil only in tests that exercise a pass without a lock.
    let lock: CompactorLock?
    let metrics: CompactorMetrics
    let logger: Logger
    let showProgress: Bool
    /// Told every sync of the bucket's metas (or its failure): the bucket viewer on the
    /// compactor's HTTP port shows the pass's own view instead of listing the bucket again.
    let onSync: (@Sendable (Result<BlockMetaFetcher.Snapshot, any Error>) async -> Void)?

    public init(bucket: any Bucket, config: CompactorConfig, lock: CompactorLock?, metrics: CompactorMetrics = CompactorMetrics(),
                logger: Logger = Logger(label: "compact"), showProgress: Bool = isatty(STDERR_FILENO) == 1,
                onSync: (@Sendable (Result<BlockMetaFetcher.Snapshot, any Error>) async -> Void)? = nil) {
        self.bucket = bucket
        self.config = config
        self.lock = lock
        self.metrics = metrics
        self.logger = logger
        self.showProgress = showProgress
        self.onSync = onSync
    }

    var scratchDir: String { config.dataDir + "/compact" }

    public func runPass(now: Date = Date()) async throws -> PassReport {
        metrics.passes.increment()
        let ledger = PassLedger(metrics: metrics, showProgress: showProgress)
        do {
            try await pass(ledger, now: now)
        } catch {
            metrics.passFailures.increment()
            await ledger.finish()
            throw error
        }
        await ledger.finish()
        let report = await ledger.report
        if report.completed {
            metrics.lastSuccessfulPass.record(Date().timeIntervalSince1970)
        } else {
            metrics.passFailures.increment()
        }
        return report
    }

    private func pass(_ ledger: PassLedger, now: Date) async throws {
        try? FileManager.default.removeItem(atPath: scratchDir)  // leftovers of a killed pass
        try FileManager.default.createDirectory(atPath: scratchDir, withIntermediateDirectories: true)
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let snap: BlockMetaFetcher.Snapshot
        do { snap = try await BlockMetaFetcher(bucket: bucket, logger: logger).fetch() } catch {
            await onSync?(.failure(error))
            throw error
        }
        await onSync?(.success(snap))
        for (id, why) in snap.corrupted.sorted(by: { $0.key < $1.key }) {
            logger.error("block with unreadable meta.json left alone; repair or delete it", metadata: ["block": "\(id)", "err": "\(why)"])
        }
        // Before anything is written: no live compactor that was here first selects our groups.
        lock?.noteLabelSets(Array(Set(snap.metas.values.map(\.externalLabels))))
        try await lock?.checkOverlaps()
        var deletionMarks = snap.deletionMarks
        var live = snap.consistent(delay: config.consistencyDelay, now: now).filter { deletionMarks[$0.ulid] == nil }
        if let selection = config.selection {
            live = await selected(live, by: selection, ledger: ledger)
            deletionMarks = deletionMarks.filter { id, _ in snap.metas[id].map { selection.selects($0.externalLabels) } ?? true }
        }
        logger.info("synced blocks", metadata: ["blocks": "\(snap.metas.count)", "eligible": "\(live.count)",
                                                "marked_for_deletion": "\(deletionMarks.count)", "partial": "\(snap.partial.count)"])

        func markDeleted(_ b: BlockMeta, reason: String, details: String) async throws {
            deletionMarks[b.ulid] = try await markForDeletion(b.ulid, reason: reason, details: details, now: now, ledger: ledger)
        }

        // Retention first: expired history is never worth compacting.
        let expired = CompactPlanner.expired(live, nowMs: nowMs, retention: config.retention)
        for b in expired {
            try await markDeleted(b, reason: "retention", details: "older than the \(formatDuration(config.retention[b.resolution] ?? 0)) retention of resolution \(formatDuration(b.resolution))")
        }
        live.removeAll { m in expired.contains { $0.ulid == m.ulid } }

        // Inputs of a compacted block that an interrupted pass did not get to mark.
        var duplicates: [BlockMeta] = []
        for g in CompactPlanner.groups(live, replicaLabels: config.replicaLabels) {
            duplicates += CompactPlanner.duplicates(g.blocks)
        }
        for b in duplicates { try await markDeleted(b, reason: "duplicate", details: "all its sources are in another block") }
        live.removeAll { m in duplicates.contains { $0.ulid == m.ulid } }

        // Compaction, groups in parallel.
        let noCompact = Set(snap.noCompactMarks.keys)
        let groups = CompactPlanner.groups(live, replicaLabels: config.replicaLabels)
        await ledger.planned(compactions: groups.reduce(0) { $0 + CompactPlanner.pendingCompactions($1.blocks.filter { !noCompact.contains($0.ulid) }, ranges: config.ranges) })
        var afterCompaction: [BlockMeta] = []
        try await withThrowingTaskGroup(of: GroupResult.self) { tasks in
            var next = 0
            func start() {
                let g = groups[next]
                next += 1
                tasks.addTask {
                    do {
                        return try await self.compactGroup(g, noCompact: noCompact, ledger: ledger, now: now)
                    } catch let e as CompactorLockError {
                        throw e
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        self.logger.error("compaction of group failed; other groups go on, the group is retried next pass",
                                          metadata: ["group": "\(g.key)", "err": "\(error)"])
                        await ledger.failed("compact \(g.key): \(error)", compaction: true)
                        return GroupResult(blocks: g.blocks, marked: [])
                    }
                }
            }
            while next < min(groups.count, max(1, config.concurrency)) { start() }
            while let result = try await tasks.next() {
                afterCompaction += result.blocks
                for m in result.marked { deletionMarks[m.id] = m }
                if next < groups.count { start() }
            }
        }

        if config.downsampling {
            // Blocks quarantined or kept raw in this pass carry no-downsample marks the snapshot predates.
            let report = await ledger.report
            let skip = Set(snap.noDownsampleMarks.keys).union(report.quarantined.keys).union(report.notDownsampled.keys)
            let downsampled = try await downsampleAll(afterCompaction, skip: skip, ledger: ledger)
            // A raw block that gained sources (a late replica merged into history) was just
            // downsampled again: the older 5m/1h copy of fewer sources is superseded now, not
            // one pass later — a pass must not end with two overlapping copies of the same
            // series at one resolution (found by the chaos test, docs/operations.md).
            for g in CompactPlanner.groups(downsampled.filter { $0.resolution > 0 && deletionMarks[$0.ulid] == nil },
                                           replicaLabels: config.replicaLabels) {
                for b in CompactPlanner.duplicates(g.blocks) {
                    try await markDeleted(b, reason: "duplicate", details: "all its sources are in a newer downsampled block")
                }
            }
        }

        let due = deletionMarks.filter { nowMs - $0.value.time * 1000 >= config.deleteDelay }
        await ledger.planned(deletions: due.count)
        for id in due.keys.sorted() {
            try await lock?.verify()
            try await BlockDeleter(bucket: bucket, logger: logger).delete(id)
            await ledger.deleted()
        }
        for (id, why) in try await PartialUploads(bucket: bucket).abandoned(snap.partial, olderThanMs: config.partialUploadAge, now: now) {
            try await lock?.verify()
            logger.info("removing partial block", metadata: ["block": "\(id)", "why": "\(why)"])
            try await BlockDeleter(bucket: bucket, logger: logger).delete(id)
            await ledger.partialRemoved()
        }
    }

    /// The blocks of the groups `selection` owns. A group whose blocks the rules split (some
    /// kept, some not: rules over a replica label) is left alone and reported, as compacting
    /// part of it would make a block that another compactor's part then overlaps.
    func selected(_ blocks: [BlockMeta], by selection: CompactorSelection, ledger: PassLedger) async -> [BlockMeta] {
        var kept: [BlockMeta] = []
        for g in CompactPlanner.groups(blocks, replicaLabels: config.replicaLabels) {
            let mine = g.blocks.filter { selection.selects($0.externalLabels) }
            if mine.count == g.blocks.count {
                kept += mine
            } else if !mine.isEmpty {
                logger.error("--selector.relabel-config keeps only some blocks of a group; the group is left alone",
                             metadata: ["group": "\(g.key)", "kept": "\(mine.count)", "blocks": "\(g.blocks.count)"])
                await ledger.failed("group \(g.key) split by --selector.relabel-config", compaction: true)
            }
        }
        return kept
    }

    /// Writes a deletion mark after checking the lock is still ours (an existing mark stays
    /// authoritative) and returns the mark as it counts for this pass.
    func markForDeletion(_ id: ULID, reason: String, details: String, now: Date, ledger: PassLedger) async throws -> BlockMarker {
        try await lock?.verify()
        do {
            if try await BlockMarkers(bucket: bucket).mark(id, .deletion, details: details, now: now) {
                await ledger.markedForDeletion(reason: reason)
                logger.info("marked block for deletion", metadata: ["block": "\(id)", "reason": "\(reason)", "details": "\(details)"])
            }
        } catch BlockBucketError.partialBlock {
            // meta.json already gone: the block is being deleted.
        }
        return BlockMarker(kind: .deletion, id: id, time: Int64(now.timeIntervalSince1970), details: details)
    }
}
