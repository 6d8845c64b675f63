#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Appends records to a WAL directory in Prometheus's page and fragment layout
/// (`wlog.WL.Log`), byte for byte what Prometheus writes for the same records: records are
/// cut into fragments that never cross a 32 KiB page, a record that does not fit in what
/// is left of the segment starts the next segment, and the last page of a batch is written
/// (not padded) so the batch is in the file when `log` returns.
///
/// `log` is all or nothing: when a write fails (a full disk), the segment is cut back to
/// where the batch began and the page buffer restored, so no torn record is left for the
/// next batch to follow. If even that fails the writer refuses every later call: the
/// caller must reopen the head, whose replay repairs the tail.
///
/// Durability: `log` leaves the bytes in the OS page cache (safe against a crash of the
/// process) and returns the batch's sequence number; `sync(upTo:)` makes every batch up to
/// it survive a crash of the machine. Finished segments are fsynced when the next one
/// starts, and `close` pads and fsyncs the last page. Everything but `sync(upTo:)` must be
/// called by one thread at a time (the head serialises them under its lock).
///
/// `sync(upTo:)` is the group commit: it may run on any thread, outside the head's lock, so
/// appends go on while the disk flushes, and one fsync covers every batch logged before it
/// started — concurrent committers waiting behind it find their batch synced already.
public final class WALWriter: @unchecked Sendable {
    public let dir: String
    public let segmentSize: Int
    /// Snappy-compress records that get smaller by it (Prometheus's
    /// `--storage.tsdb.wal-compression`; 2.42 reads either).
    public let compress: Bool
    public private(set) var segment: Int
    private var fd: Int32 = -1 {
        didSet { let fd = fd; shared.withLock { $0.fd = fd } }
    }
    /// What a concurrent `sync(upTo:)` reads: the current segment's descriptor, how many
    /// batches were logged and synced, and an fsync failure.
    private struct Shared {
        var fd: Int32 = -1
        var logged: UInt64 = 0
        var synced: UInt64 = 0
        var failed: String?
    }
    private let shared = Mutex(Shared())
    /// One fsync at a time: those waiting behind it are usually covered by it.
    private let syncing = Mutex(())
    /// Pages completed in the current segment.
    private var donePages = 0
    private let page: UnsafeMutableRawBufferPointer
    /// Bytes of `page` in use, and how many of them are in the file already.
    private var alloc = 0
    private var flushed = 0
    private var failed: String?

    /// Starts a new segment after the last one in `dir` (creating `dir`), as Prometheus does
    /// on every start: earlier segments are never appended to, so a torn tail in one of them
    /// is repaired by replay before anything follows it.
    public init(dir: String, segmentSize: Int = WALFormat.defaultSegmentSize, compress: Bool = false) throws {
        guard segmentSize > 0, segmentSize % WALFormat.pageSize == 0 else {
            throw TSDBError.invalidArgument("WAL segment size \(segmentSize) must be a positive multiple of \(WALFormat.pageSize)")
        }
        self.dir = dir
        self.segmentSize = segmentSize
        self.compress = compress
        page = .allocate(byteCount: WALFormat.pageSize, alignment: 16)
        page.initializeMemory(as: UInt8.self, repeating: 0)
        try makeDirectory(dir)
        segment = (try WALFormat.segments(in: dir).last ?? -1) + 1
        fd = try Self.create(dir, segment)
        // Observers do not run in an initialiser.
        shared.withLock { [fd] in $0.fd = fd }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        page.deallocate()
    }

    private static func create(_ dir: String, _ index: Int) throws -> Int32 {
        let path = WALFormat.segmentPath(dir, index)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TSDBError.io(path: path, errno: errno) }
        syncDirectory(dir)
        return fd
    }

    private var pagesPerSegment: Int { segmentSize / WALFormat.pageSize }
    private var pageFull: Bool { WALFormat.pageSize - alloc < WALFormat.fragmentHeaderSize }
    private var segmentPath: String { WALFormat.segmentPath(dir, segment) }

    /// Writes `records` as one batch. On return every byte is in the segment file.
    /// Logs a batch; returns its sequence number for `sync(upTo:)`.
    @discardableResult
    public func log(_ records: [[UInt8]]) throws -> UInt64 {
        if let failed = failed ?? shared.withLock({ $0.failed }) {
            throw TSDBError.invalidArgument("WAL \(dir) is unusable after an earlier failure (\(failed)); reopen the head to repair it")
        }
        let start = Position(segment: segment, donePages: donePages, alloc: alloc)
        do {
            for (i, r) in records.enumerated() { try log(r, final: i == records.count - 1) }
        } catch {
            restore(start, after: error)
            throw error
        }
        return shared.withLock { s in
            s.logged += 1
            return s.logged
        }
    }

    private func log(_ raw: [UInt8], final: Bool) throws {
        if pageFull { try flushPage(clear: true) }
        var rec = raw
        var compressed = false
        if compress && !raw.isEmpty {
            let c = Snappy.compress(raw)
            if c.count < raw.count { rec = c; compressed = true }
        }
        let hdr = WALFormat.fragmentHeaderSize, ps = WALFormat.pageSize
        // Records never cross segments: start the next one if this one cannot hold it.
        let left = (ps - alloc - hdr) + (ps - hdr) * (pagesPerSegment - donePages - 1)
        if rec.count > left { try nextSegment() }
        try rec.withUnsafeBytes { data in
            var off = 0
            var i = 0
            repeat {
                let l = min(data.count - off, ps - alloc - hdr)
                let last = off + l == data.count
                var type: WALFormat.FragmentType
                switch (i == 0, last) {
                case (true, true): type = .full
                case (false, true): type = .last
                case (true, false): type = .first
                case (false, false): type = .middle
                }
                let part = UnsafeRawBufferPointer(rebasing: data[off..<(off + l)])
                let crc = CRC32C.checksum(part)
                page[alloc] = type.rawValue | (compressed ? WALFormat.snappyFlag : 0)
                page[alloc + 1] = UInt8(l >> 8)
                page[alloc + 2] = UInt8(l & 0xFF)
                page[alloc + 3] = UInt8(crc >> 24)
                page[alloc + 4] = UInt8((crc >> 16) & 0xFF)
                page[alloc + 5] = UInt8((crc >> 8) & 0xFF)
                page[alloc + 6] = UInt8(crc & 0xFF)
                if l > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: page[(alloc + hdr)...]).copyMemory(from: part)
                }
                alloc += l + hdr
                if pageFull { try flushPage(clear: true) }
                off += l
                i += 1
            } while off < data.count
        }
        if final && alloc > flushed { try flushPage(clear: false) }
    }

    /// Writes the unwritten part of the page; `clear` (or a full page) pads it with zeros
    /// to its end and starts a new page.
    private func flushPage(clear: Bool) throws {
        let clear = clear || pageFull
        if clear { alloc = WALFormat.pageSize }
        try writeAll(UnsafeRawBufferPointer(rebasing: page[flushed..<alloc]))
        flushed = alloc
        if clear {
            page.initializeMemory(as: UInt8.self, repeating: 0)
            alloc = 0
            flushed = 0
            donePages += 1
        }
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TSDBError.io(path: segmentPath, errno: errno)
            }
            done += n
        }
    }

    /// Pads the current page, fsyncs and closes the segment and starts the next one.
    @discardableResult
    public func nextSegment() throws -> Int {
        if alloc > 0 { try flushPage(clear: true) }
        let path = segmentPath
        if fsync(fd) != 0 { throw TSDBError.io(path: path, errno: errno) }
        // Every batch logged so far was in this segment, now on disk.
        shared.withLock { $0.synced = $0.logged }
        let old = fd
        fd = -1
        Glibc.close(old)
        segment += 1
        donePages = 0
        fd = try Self.create(dir, segment)
        return segment
    }

    /// Returns once batch `seq` and every one before it survive a power loss. Safe to call
    /// from any thread while batches are logged. A batch's segment may have been finished
    /// (and fsynced) meanwhile: the descriptor is duplicated under the lock, and what it
    /// covers is only what had been logged when it was taken.
    public func sync(upTo seq: UInt64) throws {
        try syncing.withLock { _ in
            let (fd, target, failed) = shared.withLock { s -> (Int32, UInt64, String?) in
                if s.synced >= seq || s.failed != nil || s.fd < 0 { return (-1, s.logged, s.failed ?? (s.synced >= seq ? nil : "closed")) }
                return (dup(s.fd), s.logged, nil)
            }
            if let failed { throw TSDBError.invalidArgument("WAL \(dir) is unusable after an earlier failure (\(failed))") }
            guard fd >= 0 else {
                if shared.withLock({ $0.synced >= seq }) { return }
                throw TSDBError.io(path: WALFormat.segmentPath(dir, segment), errno: errno)
            }
            defer { Glibc.close(fd) }
            if fsync(fd) != 0 {
                let e = errno
                shared.withLock { $0.failed = "fsync: \(String(cString: strerror(e)))" }
                throw TSDBError.io(path: WALFormat.segmentPath(dir, segment), errno: e)
            }
            shared.withLock { $0.synced = max($0.synced, target) }
        }
    }

    /// fsyncs everything logged so far (for callers that serialise everything themselves).
    public func sync() throws {
        try sync(upTo: shared.withLock { $0.logged })
    }

    /// Pads the last page with zeros (so the segment ends at a page boundary, as Prometheus
    /// leaves it), fsyncs and closes. The writer cannot be used afterwards.
    public func close() throws {
        guard fd >= 0 else { return }
        defer { let old = fd; fd = -1; Glibc.close(old); failed = failed ?? "closed" }
        if failed == nil && alloc > 0 { try flushPage(clear: true) }
        if fsync(fd) != 0 { throw TSDBError.io(path: segmentPath, errno: errno) }
        shared.withLock { $0.synced = $0.logged }
    }

    /// Deletes the segments numbered below `index` (they are in a checkpoint or a block).
    public func removeSegments(before index: Int) throws {
        for s in try WALFormat.segments(in: dir) where s < index && s != segment {
            let p = WALFormat.segmentPath(dir, s)
            guard unlink(p) == 0 else { throw TSDBError.io(path: p, errno: errno) }
        }
    }

    // MARK: rollback of a failed batch

    private struct Position { var segment: Int; var donePages: Int; var alloc: Int }

    /// Cuts the WAL back to `p`, where the failed batch began: segments the batch started
    /// are removed, the segment is truncated to its length then and the partial page is read
    /// back into the buffer. Between batches the page is always fully in the file.
    private func restore(_ p: Position, after error: Error) {
        do {
            if segment != p.segment {
                let old = fd
                fd = -1
                Glibc.close(old)
                for s in (p.segment + 1)...segment { unlink(WALFormat.segmentPath(dir, s)) }
                segment = p.segment
                fd = open(segmentPath, O_WRONLY | O_APPEND | O_CLOEXEC)
                guard fd >= 0 else { throw TSDBError.io(path: segmentPath, errno: errno) }
            }
            let pageStart = p.donePages * WALFormat.pageSize
            guard ftruncate(fd, off_t(pageStart + p.alloc)) == 0 else { throw TSDBError.io(path: segmentPath, errno: errno) }
            page.initializeMemory(as: UInt8.self, repeating: 0)
            if p.alloc > 0 {
                let rfd = open(segmentPath, O_RDONLY | O_CLOEXEC)
                guard rfd >= 0 else { throw TSDBError.io(path: segmentPath, errno: errno) }
                defer { Glibc.close(rfd) }
                guard pread(rfd, page.baseAddress!, p.alloc, off_t(pageStart)) == p.alloc else {
                    throw TSDBError.io(path: segmentPath, errno: errno)
                }
            }
            donePages = p.donePages
            alloc = p.alloc
            flushed = p.alloc
        } catch let e {
            failed = "\(error); then, cutting the failed batch off: \(e)"
        }
    }
}
