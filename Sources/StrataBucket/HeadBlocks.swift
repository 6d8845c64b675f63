import Foundation
import Logging
import Metrics
import StrataCore
import StrataObjStore
import StrataTSDB

/// A head's data dir over time, for the components that write their own samples (ruler,
/// receiver): the head cut into blocks once a block range is complete, with the
/// component's external labels and `source` in meta.json (as Thanos writes them), blocks
/// shipped to the bucket as the sidecar ships them (meta.json last), and local blocks past
/// `retention` deleted — shipped ones only, when there is a bucket.
public struct HeadBlocks: Sendable {
    public let head: Head
    let externalLabels: [String: String]
    let source: String
    let retention: Int64
    let shipper: Shipper?
    let logger: Logger
    let blocksCut: Counter
    let cutFailures: Counter
    let uploads: Counter
    let uploadFailures: Counter
    let deleted: Counter

    /// `component` names the metrics (`strata_<component>_tsdb_blocks_cut_total`, …);
    /// `dimensions` label them (the receiver's tenant). `retention` 0 keeps every block.
    public init(head: Head, externalLabels: Labels, source: String, retention: Int64, bucket: (any Bucket)?,
                component: String, dimensions: [(String, String)] = [], logger: Logger) {
        self.head = head
        let labels = Dictionary(externalLabels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        self.externalLabels = labels
        self.source = source
        self.retention = retention
        self.logger = logger
        shipper = bucket.map { Shipper(tsdbPath: head.dir, bucket: $0, externalLabels: labels, source: source, logger: logger) }
        blocksCut = Counter(label: "strata_\(component)_tsdb_blocks_cut_total", dimensions: dimensions)
        cutFailures = Counter(label: "strata_\(component)_tsdb_block_cut_failures_total", dimensions: dimensions)
        uploads = Counter(label: "strata_shipper_uploads_total", dimensions: dimensions)
        uploadFailures = Counter(label: "strata_shipper_upload_failures_total", dimensions: dimensions)
        deleted = Counter(label: "strata_\(component)_tsdb_blocks_deleted_total", dimensions: dimensions)
    }

    /// Cuts what is due (everything with `force`, before a shutdown or after a restart),
    /// ships, applies retention. Failures are logged and counted; the next call retries.
    public func maintain(force: Bool = false) async {
        cut(force: force)
        var shipped: Set<ULID> = []
        if let shipper {
            do {
                let r = try await shipper.sync()
                uploads.increment(by: r.uploaded)
                uploadFailures.increment(by: r.failed)
                shipped = try await shipper.shipped()
            } catch {
                uploadFailures.increment()
                logger.error("shipping blocks failed", metadata: ["dir": "\(head.dir)", "err": "\(error)"])
            }
        }
        applyRetention(shipped: shipped)
    }

    func cut(force: Bool) {
        do {
            let cut = try head.cutBlocks(force: force) { meta in
                var t = meta.thanos ?? ThanosMeta()
                t.labels = externalLabels
                t.source = source
                meta.thanos = t
            }
            blocksCut.increment(by: cut.count)
            for m in cut { logger.info("block cut from the head", metadata: ["dir": "\(head.dir)", "ulid": "\(m.ulid)", "samples": "\(m.stats.numSamples)"]) }
        } catch {
            cutFailures.increment()
            logger.error("cutting a block from the head failed", metadata: ["dir": "\(head.dir)", "err": "\(error)"])
        }
    }

    /// Deletes local blocks that ended more than `retention` before the newest one's end.
    func applyRetention(shipped: Set<ULID>) {
        let dir = head.dir
        guard retention > 0, let names = try? listDirectory(dir) else { return }
        var metas: [BlockMeta] = []
        for n in names where n.count == 26 {
            if let id = try? ULID(parsing: n), fileExists(dir + "/" + n + "/meta.json"),
               let m = try? BlockMeta.read(dir: dir + "/" + id.description) { metas.append(m) }
        }
        guard let newest = metas.map(\.maxTime).max() else { return }
        for m in metas where m.maxTime < newest - retention {
            if shipper != nil && !shipped.contains(m.ulid) { continue }
            do {
                try removeTree(dir + "/" + m.ulid.description)
                deleted.increment()
            } catch {
                logger.warning("cannot delete a block past retention", metadata: ["ulid": "\(m.ulid)", "err": "\(error)"])
            }
        }
    }
}
