/// When the head fsyncs its WAL.
public enum WALSyncPolicy: String, Sendable, CaseIterable {
    /// fsync after every committed batch, before the commit returns: an acknowledged sample
    /// survives a power loss. The default. A batch costs one fsync, so callers batch (a
    /// rule group's results, a remote-write request).
    case everyBatch = "batch"
    /// Prometheus's own behaviour: every batch is written to the segment file before the
    /// commit returns (it survives a crash of the process, not of the machine); segments are
    /// fsynced when finished and on close.
    case never = "never"
}

/// How a head cuts chunks and blocks and writes its WAL.
public struct HeadOptions: Sendable {
    /// Length of the blocks the head is cut into, in milliseconds (Thanos's
    /// `--tsdb.block-duration`, 2h): blocks cover `[k·d, (k+1)·d)`, and no chunk in the head
    /// crosses such a boundary. Samples older than half of it behind the newest sample are
    /// refused, as in Prometheus.
    public var blockDuration: Int64 = 2 * 3_600_000
    public var walSync = WALSyncPolicy.everyBatch
    /// Multiple of 32 KiB; 128 MiB as Prometheus.
    public var walSegmentSize = WALFormat.defaultSegmentSize
    /// Snappy-compress WAL records (Prometheus `--storage.tsdb.wal-compression`); off by
    /// default: sample records shrink little and appends pay for it.
    public var walCompression = false
    /// Samples per chunk before a new one is started (Prometheus's 120).
    public var samplesPerChunk = 120

    public init(blockDuration: Int64 = 2 * 3_600_000, walSync: WALSyncPolicy = .everyBatch,
                walSegmentSize: Int = WALFormat.defaultSegmentSize, walCompression: Bool = false) {
        self.blockDuration = blockDuration
        self.walSync = walSync
        self.walSegmentSize = walSegmentSize
        self.walCompression = walCompression
    }
}
