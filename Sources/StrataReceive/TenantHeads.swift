import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
import StrataStore
import StrataTSDB
import Synchronization

/// One head per tenant under `--tsdb.path` (`<path>/<tenant>/wal` and its blocks, Thanos's
/// multi-TSDB layout), opened when the tenant first writes or, for tenants already on
/// disk, at start. Each tenant's external labels are the receiver's `--label`s plus
/// `<tenant-label-name>=<tenant>`, in its blocks' meta.json and on the Store API.
public final class TenantHeads: Sendable {
    public struct Config: Sendable {
        public var path: String
        public var externalLabels: Labels
        public var tenantLabelName = "tenant_id"
        public var head = HeadOptions()
        public var retention: Int64 = 15 * 24 * 3_600_000
        /// Exemplars kept per tenant (`--tsdb.max-exemplars`; 0: none).
        public var maxExemplars = 0

        public init(path: String, externalLabels: Labels) {
            self.path = path
            self.externalLabels = externalLabels
        }
    }

    public struct Tenant: Sendable {
        public let id: String
        public let head: Head
        public let store: TSDBStore
        public let exemplars: ExemplarBuffer
        let blocks: HeadBlocks
    }

    let config: Config
    let bucket: (any Bucket)?
    let logger: Logger
    private let tenants = Mutex<[String: Tenant]>([:])
    /// Serialises opening a tenant: a WAL replay must not run twice for one directory.
    private let opening = Mutex<Void>(())

    public init(config: Config, bucket: (any Bucket)?, logger: Logger) {
        self.config = config
        self.bucket = bucket
        self.logger = logger
    }

    /// Thanos's tenant name rule: not empty, not `.`/`..`, no path separator — a tenant is a
    /// directory name.
    public static func isValidTenant(_ t: String) -> Bool {
        !t.isEmpty && t != "." && t != ".." && !t.contains("/") && !t.contains("\\") && !t.contains("\0")
    }

    /// The tenants on disk, opened and replayed (what a restart brings back).
    public func openExisting() throws {
        try makeDirectories(config.path)
        for name in try listDirectory(config.path).sorted() where Self.isValidTenant(name) {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: config.path + "/" + name, isDirectory: &isDir), isDir.boolValue else { continue }
            _ = try tenant(name)
        }
    }

    /// The tenant's head, opened (and its WAL replayed) on first use.
    public func tenant(_ id: String) throws -> Tenant {
        if let t = tenants.withLock({ $0[id] }) { return t }
        guard Self.isValidTenant(id) else { throw ReceiveError.invalidTenant(id) }
        return try opening.withLock { _ in
            if let t = tenants.withLock({ $0[id] }) { return t }
            let dir = config.path + "/" + id
            let head = try Head.open(dir: dir, options: config.head)
            let labels = labels(of: id)
            let t = Tenant(id: id, head: head,
                           store: TSDBStore(name: "tenant " + id, head: head, externalLabels: labels, component: "receive"),
                           exemplars: ExemplarBuffer(capacity: config.maxExemplars),
                           blocks: HeadBlocks(head: head, externalLabels: labels, source: "receive", retention: config.retention,
                                              bucket: bucket, component: "receive", dimensions: [("tenant", id)], logger: logger))
            logger.info("tenant head opened", metadata: ["tenant": "\(id)", "replayed": "\(head.replay)"])
            tenants.withLock { $0[id] = t }
            return t
        }
    }

    public func labels(of tenant: String) -> Labels {
        config.externalLabels.setting(config.tenantLabelName, tenant)
    }

    public var all: [Tenant] { tenants.withLock { Array($0.values) }.sorted { $0.id < $1.id } }

    /// Cuts due blocks, ships them and applies retention for every tenant.
    public func maintain(force: Bool = false) async {
        for t in all { await t.blocks.maintain(force: force) }
    }

    /// Before the process stops: every head cut into blocks and shipped, as Thanos's receiver
    /// flushes on shutdown; then the WALs closed.
    public func flushAndClose() async {
        await maintain(force: true)
        for t in all { try? t.head.close() }
    }
}
