import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// What a group job leaves: the group's blocks after it (inputs replaced by outputs) and
/// the deletion marks it wrote.
struct GroupResult: Sendable {
    var blocks: [BlockMeta]
    var marked: [BlockMarker]
}

/// A chunk compaction copied through without decoding it, or that stopped a downsampling.
struct UndecodableChunk: Sendable {
    var block: ULID
    var series: Labels
    var encoding: UInt8
}

/// The outcome of downloading and checking a job's input blocks.
private enum Inputs {
    case ready([String])
    case quarantined([ULID])
}

extension Compactor {
    /// Compacts one group until its plan is empty, re-planning on the group's metadata
    /// after each step (no re-sync needed: the compactor is the only writer of compactions).
    func compactGroup(_ group: CompactionGroup, noCompact: Set<ULID>, ledger: PassLedger, now: Date) async throws -> GroupResult {
        var blocks = group.blocks.filter { !noCompact.contains($0.ulid) }
        var result = GroupResult(blocks: group.blocks.filter { noCompact.contains($0.ulid) }, marked: [])
        let dir = scratchDir + "/" + fileSafeName(group.key)
        while true {
            try Task.checkCancellation()
            var plan: [BlockMeta]
            let overlaps = CompactPlanner.overlaps(blocks)
            if let first = overlaps.first, config.mergesOverlaps {
                plan = first
            } else if !overlaps.isEmpty {
                for set in overlaps {
                    let ids = set.map(\.ulid)
                    for b in set {
                        try await quarantine(b.ulid, reason: "overlap", why: "time range overlaps \(ids.filter { $0 != b.ulid }) in group \(group.key); vertical compaction is off", ledger: ledger)
                    }
                    blocks.removeAll { ids.contains($0.ulid) }
                }
                continue
            } else {
                plan = CompactPlanner.plan(blocks, ranges: config.ranges)
            }
            if plan.isEmpty { break }
            logger.info("compacting", metadata: ["group": "\(group.key)", "blocks": "\(plan.map(\.ulid))",
                                                 "range": "\(formatRFC3339(plan.map(\.minTime).min()!))..\(formatRFC3339(plan.map(\.maxTime).max()!))"])
            switch try await prepare(plan, in: dir, ledger: ledger) {
            case .quarantined(let bad):
                blocks.removeAll { bad.contains($0.ulid) }
            case .ready(let dirs):
                let id = ULID()
                let made: BlockMeta
                var undecodable: [UndecodableChunk] = []
                do {
                    made = try BlockCompactor.compact(blockDirs: dirs, outParentDir: dir, replicaLabels: config.replicaLabels, ulid: id) {
                        undecodable.append(UndecodableChunk(block: $0, series: $1, encoding: $2))
                    }
                } catch {
                    guard let bad = try await quarantineCulprit(of: error, among: plan, dirs: dirs, ledger: ledger) else { throw error }
                    blocks.removeAll { $0.ulid == bad }
                    continue
                }
                let uploaded = try await upload(dir + "/" + id.description, made)
                if !undecodable.isEmpty {
                    try await keepUndownsampled(id, undecodable, ledger: ledger)
                }
                for b in plan {
                    result.marked.append(try await markForDeletion(b.ulid, reason: "compacted", details: "compacted into \(id)", now: now, ledger: ledger))
                }
                try? FileManager.default.removeItem(atPath: dir)
                await ledger.compacted(samples: uploaded.stats.numSamples)
                logger.info("compacted", metadata: ["group": "\(group.key)", "block": "\(id)", "level": "\(uploaded.compaction.level)",
                                                    "series": "\(uploaded.stats.numSeries)", "samples": "\(uploaded.stats.numSamples)"])
                let ids = Set(plan.map(\.ulid))
                blocks = blocks.filter { !ids.contains($0.ulid) } + [uploaded]
            }
        }
        result.blocks += blocks
        return result
    }

    /// Downsamples raw blocks ≥ 40h to 5m and 5m blocks ≥ 10d to 1h until nothing qualifies;
    /// a 5m block made here may itself qualify for 1h within the same pass. Returns `start`
    /// with the blocks made.
    @discardableResult
    func downsampleAll(_ start: [BlockMeta], skip: Set<ULID>, ledger: PassLedger) async throws -> [BlockMeta] {
        var blocks = start
        var tried = skip
        await ledger.planned(downsamplings: CompactPlanner.downsamplings(blocks).filter { !tried.contains($0.0.ulid) }.count)
        while let (b, res) = CompactPlanner.downsamplings(blocks).first(where: { !tried.contains($0.0.ulid) }) {
            try Task.checkCancellation()
            tried.insert(b.ulid)
            let dir = scratchDir + "/downsample"
            do {
                guard case .ready(let dirs) = try await prepare([b], in: dir, ledger: ledger) else { continue }
                let id = ULID()
                let made: BlockMeta
                do {
                    made = try BlockDownsampler.downsample(blockDir: dirs[0], outParentDir: dir, resolution: res, ulid: id)
                } catch TSDBError.unsupportedEncoding(_, let series, let enc) {
                    // Not damage: the block stays raw (and compactable) instead of being quarantined.
                    try await keepUndownsampled(b.ulid, [UndecodableChunk(block: b.ulid, series: series, encoding: enc)], ledger: ledger)
                    try? FileManager.default.removeItem(atPath: dir)
                    continue
                } catch {
                    guard try await quarantineCulprit(of: error, among: [b], dirs: dirs, ledger: ledger) != nil else { throw error }
                    continue
                }
                let uploaded = try await upload(dir + "/" + id.description, made)
                try? FileManager.default.removeItem(atPath: dir)
                blocks.append(uploaded)
                await ledger.downsampled()
                logger.info("downsampled", metadata: ["from": "\(b.ulid)", "block": "\(id)", "resolution": "\(formatDuration(res))"])
            } catch let e as CompactorLockError {
                throw e
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("downsampling failed; retried next pass", metadata: ["block": "\(b.ulid)", "err": "\(error)"])
                await ledger.failed("downsample \(b.ulid): \(error)", compaction: false)
            }
            await ledger.planned(downsamplings: CompactPlanner.downsamplings(blocks).filter { !tried.contains($0.0.ulid) }.count)
        }
        return blocks
    }

    /// Downloads the inputs into a fresh `dir` and verifies each completely (index, chunk
    /// CRCs, samples): a block that fails is quarantined instead of being merged into history.
    private func prepare(_ plan: [BlockMeta], in dir: String, ledger: PassLedger) async throws -> Inputs {
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var dirs: [String] = []
        var bad: [ULID] = []
        let downloader = BlockDownloader(bucket: bucket, logger: logger)
        for b in plan {
            do {
                try await downloader.download(b.ulid, into: dir)
            } catch let e as BlockBucketError {
                try await quarantine(b.ulid, reason: "corrupt-block", why: "cannot download: \(e)", ledger: ledger)
                bad.append(b.ulid)
                continue
            }
            let blockDir = dir + "/" + b.ulid.description
            var verifier = BlockVerifier(dir: blockDir)
            let problems = verifier.run()
            if !problems.isEmpty {
                let why = problems.prefix(3).map(\.description).joined(separator: "; ")
                try await quarantine(b.ulid, reason: "corrupt-block", why: why, ledger: ledger)
                bad.append(b.ulid)
                continue
            }
            dirs.append(blockDir)
        }
        if !bad.isEmpty {
            try? FileManager.default.removeItem(atPath: dir)
            return .quarantined(bad)
        }
        return .ready(dirs)
    }

    /// Uploads a block this pass made (meta.json last) after checking the lock is still ours.
    private func upload(_ blockDir: String, _ meta: BlockMeta) async throws -> BlockMeta {
        try await lock?.verify()
        return try await BlockUploader(bucket: bucket, logger: logger)
            .upload(blockDir: blockDir, externalLabels: meta.thanos?.labels ?? [:], source: "compactor")
    }

    /// The input block a compaction error points at (a corrupt file inside its directory),
    /// quarantined; nil when the error is not about one block.
    private func quarantineCulprit(of error: Error, among plan: [BlockMeta], dirs: [String], ledger: PassLedger) async throws -> ULID? {
        let path: String, reason: String
        switch error {
        case TSDBError.corrupt(let p, _, _): (path, reason) = (p, "corrupt-block")
        // A series with chunks Strata cannot decode, in blocks that overlap: it could only be
        // merged by decoding it, so the block stays out of its group (and raw).
        case TSDBError.unsupportedEncoding(let p, _, let enc):
            (path, reason) = (p, "unsupported-encoding")
            if ChunkEncoding(rawValue: enc) == nil { await ledger.unsupported(chunks: 1) }
        default: return nil
        }
        for b in plan {
            guard let d = dirs.first(where: { $0.hasSuffix("/" + b.ulid.description) }), path.hasPrefix(d + "/") || path == d else { continue }
            try await quarantine(b.ulid, reason: reason, why: "\(error)", ledger: ledger)
            return b.ulid
        }
        return nil
    }

    /// A block that holds chunks downsampling cannot read — encodings Strata cannot decode
    /// (copied through by compaction), or histograms that cannot be added (exponential and
    /// custom buckets in one batch) — gets a no-downsample mark with reason `unsupported-encoding` and a
    /// warning per series; it stays in compaction. Undecodable chunks are counted in
    /// `strata_compact_unsupported_chunks_total`.
    func keepUndownsampled(_ id: ULID, _ chunks: [UndecodableChunk], ledger: PassLedger) async throws {
        try await lock?.verify()
        for c in chunks {
            logger.warning("chunk encoding cannot be downsampled; the block is kept raw (no-downsample mark)",
                           metadata: ["block": "\(id)", "input_block": "\(c.block)", "series": "\(c.series)",
                                      "encoding": "\(c.encoding) (\(ChunkEncoding.name(c.encoding)))"])
        }
        let undecodable = chunks.filter { ChunkEncoding(rawValue: $0.encoding) == nil }.count
        if undecodable > 0 { await ledger.unsupported(chunks: undecodable) }
        let first = chunks[0]
        let why = "series \(first.series) holds \(ChunkEncoding.name(first.encoding)) chunks (encoding \(first.encoding))"
            + (chunks.count > 1 ? " and \(chunks.count - 1) more chunk(s) cannot be downsampled" : ", which cannot be downsampled")
        do {
            try await BlockMarkers(bucket: bucket).mark(id, .noDownsample, details: why, reason: "unsupported-encoding")
        } catch BlockBucketError.partialBlock {
            // meta.json vanished meanwhile: nothing left to protect.
        }
        await ledger.notDownsampled(id, "unsupported-encoding: \(why)")
    }

    /// Takes a block out of compaction and downsampling: no-compact and no-downsample marks
    /// with the reason, an error line, `strata_compact_quarantined_blocks_total`.
    func quarantine(_ id: ULID, reason: String, why: String, ledger: PassLedger) async throws {
        try await lock?.verify()
        let markers = BlockMarkers(bucket: bucket)
        do {
            try await markers.mark(id, .noCompact, details: why, reason: reason)
            try await markers.mark(id, .noDownsample, details: why, reason: reason)
        } catch BlockBucketError.partialBlock {
            // meta.json vanished meanwhile: nothing left to protect.
        }
        logger.error("block quarantined (no-compact and no-downsample marks); its group goes on without it",
                     metadata: ["block": "\(id)", "reason": "\(reason)", "err": "\(why)"])
        await ledger.quarantined(id, "\(reason): \(why)")
    }
}
