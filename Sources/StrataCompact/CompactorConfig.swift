import Foundation
import StrataCore
import StrataTSDB

/// What a compactor pass does, from `strata-compact`'s flags (names as in `thanos compact`).
public struct CompactorConfig: Sendable {
    /// Scratch space for downloaded and new blocks; emptied at the start of every pass.
    public var dataDir: String
    /// Blocks younger than this (by ULID time) are left alone, except the compactor's own
    /// (`--consistency-delay`, 30m): an uploader may still be settling them.
    public var consistencyDelay: Foundation.TimeInterval = 30 * 60
    /// Retention per resolution in milliseconds (raw 0, 5m 300000, 1h 3600000); 0 or absent
    /// keeps blocks forever (`--retention.resolution-raw|5m|1h`).
    public var retention: [Int64: Int64] = [:]
    /// Aligned compaction ranges in milliseconds, smallest first.
    public var ranges: [Int64] = CompactPlanner.defaultRanges
    /// Merge overlapping blocks of one group (`--compact.enable-vertical-compaction`).
    public var verticalCompaction = false
    /// External labels ignored for grouping; replicas are deduplicated into one block
    /// (`--deduplication.replica-label`, implies vertical compaction).
    public var replicaLabels: Set<String> = []
    /// Time from deletion mark to deletion in milliseconds (`--delete-delay`, 48h).
    public var deleteDelay: Int64 = 48 * 3_600_000
    /// Age after which a block without meta.json is removed, in milliseconds (48h).
    public var partialUploadAge: Int64 = 48 * 3_600_000
    /// Groups compacted at once (`--compact.concurrency`).
    public var concurrency = 1
    /// Downsample at all (`--downsampling.disable` turns it off).
    public var downsampling = true
    /// The groups this compactor owns (`--selector.relabel-config`); nil: the whole bucket.
    public var selection: CompactorSelection?

    public init(dataDir: String) { self.dataDir = dataDir }

    var mergesOverlaps: Bool { verticalCompaction || !replicaLabels.isEmpty }
}

/// What one pass did. `completed` is what the job's exit code reports.
public struct PassReport: Sendable, CustomStringConvertible {
    public var compactions = 0
    public var downsamplings = 0
    public var markedForDeletion = 0
    public var deleted = 0
    public var partialsRemoved = 0
    public var samplesCompacted: UInt64 = 0
    /// Blocks given a no-compact mark in this pass, with the reason.
    public var quarantined: [ULID: String] = [:]
    /// Blocks given only a no-downsample mark in this pass (chunks that cannot be decoded),
    /// with the reason; they are still compacted, so the pass counts as completed.
    public var notDownsampled: [ULID: String] = [:]
    /// Undecodable chunks met (`strata_compact_unsupported_chunks_total`).
    public var unsupportedChunks = 0
    /// Jobs that failed for reasons outside the blocks (bucket errors); retried next pass.
    public var failures: [String] = []

    public init() {}

    /// True when every planned job ran and nothing had to be quarantined.
    public var completed: Bool { failures.isEmpty && quarantined.isEmpty }

    public var description: String {
        "compactions=\(compactions) samples_compacted=\(samplesCompacted) downsamplings=\(downsamplings) marked_for_deletion=\(markedForDeletion) deleted=\(deleted) partial_uploads_removed=\(partialsRemoved) quarantined=\(quarantined.count) not_downsampled=\(notDownsampled.count) unsupported_chunks=\(unsupportedChunks) failures=\(failures.count)"
    }
}
