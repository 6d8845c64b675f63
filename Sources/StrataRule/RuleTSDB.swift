import Foundation
import Logging
import Metrics
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// The ruler's data dir over time: the head cut into blocks once a block range is complete
/// (with the ruler's external labels in meta.json, as Thanos's ruler writes them), blocks
/// shipped to the bucket like the sidecar ships them, and local blocks past
/// `--tsdb.retention` deleted — shipped ones only, when there is a bucket.
struct RuleTSDB: Sendable {
    let head: Head
    let config: RuleService.Config
    let shipper: Shipper?
    let logger: Logger
    let blocksCut = Counter(label: "strata_rule_tsdb_blocks_cut_total")
    let cutFailures = Counter(label: "strata_rule_tsdb_block_cut_failures_total")
    let uploads = Counter(label: "strata_shipper_uploads_total")
    let uploadFailures = Counter(label: "strata_shipper_upload_failures_total")
    let deleted = Counter(label: "strata_rule_tsdb_blocks_deleted_total")

    init(head: Head, config: RuleService.Config, bucket: (any Bucket)?, logger: Logger) {
        self.head = head
        self.config = config
        self.logger = logger
        let labels = Dictionary(config.externalLabels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        shipper = bucket.map { Shipper(tsdbPath: config.dataDir, bucket: $0, externalLabels: labels, source: "ruler", logger: logger) }
    }

    func maintain() async {
        let labels = Dictionary(config.externalLabels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        do {
            let cut = try head.cutBlocks { meta in
                var t = meta.thanos ?? ThanosMeta()
                t.labels = labels
                t.source = "ruler"
                meta.thanos = t
            }
            blocksCut.increment(by: cut.count)
            for m in cut { logger.info("block cut from the head", metadata: ["ulid": "\(m.ulid)", "samples": "\(m.stats.numSamples)"]) }
        } catch {
            cutFailures.increment()
            logger.error("cutting a block from the head failed", metadata: ["err": "\(error)"])
        }
        var shipped: Set<ULID> = []
        if let shipper {
            do {
                let r = try await shipper.sync()
                uploads.increment(by: r.uploaded)
                uploadFailures.increment(by: r.failed)
                shipped = try await shipper.shipped()
            } catch {
                uploadFailures.increment()
                logger.error("shipping blocks failed", metadata: ["err": "\(error)"])
            }
        }
        applyRetention(shipped: shipped)
    }

    /// Deletes local blocks that ended more than `retention` before the newest one's end.
    func applyRetention(shipped: Set<ULID>) {
        guard config.retention > 0, let names = try? listDirectory(config.dataDir) else { return }
        var metas: [BlockMeta] = []
        for n in names where n.count == 26 {
            if let id = try? ULID(parsing: n), fileExists(config.dataDir + "/" + n + "/meta.json"),
               let m = try? BlockMeta.read(dir: config.dataDir + "/" + id.description) { metas.append(m) }
        }
        guard let newest = metas.map(\.maxTime).max() else { return }
        for m in metas where m.maxTime < newest - config.retention {
            if shipper != nil && !shipped.contains(m.ulid) { continue }
            do {
                try removeTree(config.dataDir + "/" + m.ulid.description)
                deleted.increment()
            } catch {
                logger.warning("cannot delete a block past retention", metadata: ["ulid": "\(m.ulid)", "err": "\(error)"])
            }
        }
    }
}
