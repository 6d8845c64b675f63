import Foundation
import Logging
import StrataCore
import Synchronization

/// The receiver's two reloadable files: the hashrings file and the limits file. Both are
/// read at start (an error stops the start) and re-read every refresh interval; a changed
/// file that does not parse is logged and counted, and the previous configuration stays, as
/// Thanos's config watcher keeps its hashring.
final class ConfigFiles: @unchecked Sendable {
    let hashringsFile: String?
    let algorithm: String
    let limitsFile: String?
    let metrics: ReceiveMetrics
    let logger: Logger
    private let state = Mutex<State>(State())

    struct State {
        var rings: Hashrings?
        var limits = ReceiveLimits()
        var ringsText: Data?
        var limitsText: String?
        var onHashrings: (@Sendable (Hashrings) -> Void)?
        var local: String?
        var replicationFactor = 1
    }

    init(hashringsFile: String?, algorithm: String, limitsFile: String?, metrics: ReceiveMetrics, logger: Logger) {
        self.hashringsFile = hashringsFile
        self.algorithm = algorithm
        self.limitsFile = limitsFile
        self.metrics = metrics
        self.logger = logger
    }

    var limits: ReceiveLimits { state.withLock { $0.limits } }

    var onHashrings: (@Sendable (Hashrings) -> Void)? {
        get { state.withLock { $0.onHashrings } }
        set { state.withLock { $0.onHashrings = newValue } }
    }

    /// The hashrings (one ring of this receiver alone without a file) and limits at start.
    /// `self`: the address the distributor knows itself by when no hashrings file names it.
    func loadInitial(local: String?, `self` selfAddress: String, replicationFactor: Int) throws -> (Hashrings, ReceiveLimits) {
        state.withLock { $0.local = local; $0.replicationFactor = replicationFactor }
        var rings: Hashrings
        if let hashringsFile {
            guard let local, !local.isEmpty else {
                throw ConfigError("--receive.local-endpoint is required with --receive.hashrings-file: it names this receiver in the hashrings")
            }
            let data = try read(hashringsFile)
            rings = try parseRings(data, local: local, replicationFactor: replicationFactor)
            state.withLock { $0.ringsText = data }
        } else {
            guard replicationFactor == 1 else {
                throw ConfigError("--receive.replication-factor \(replicationFactor) needs --receive.hashrings-file with that many receivers")
            }
            rings = .single(HashringEndpoint(local ?? selfAddress))
        }
        metrics.hashringNodes.record(rings.endpoints.count)
        var limits = ReceiveLimits()
        if let limitsFile {
            let text = String(decoding: try read(limitsFile), as: UTF8.self)
            limits = try ReceiveLimits.parse(text)
            state.withLock { $0.limitsText = text }
        }
        state.withLock { $0.rings = rings; $0.limits = limits }
        return (rings, limits)
    }

    func read(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    func parseRings(_ data: Data, local: String, replicationFactor: Int) throws -> Hashrings {
        let configs = try HashringConfig.parse(data)
        for c in configs where c.endpoints.count < replicationFactor {
            throw ConfigError("hashring \(c.name.isEmpty ? "(unnamed)" : c.name) has \(c.endpoints.count) endpoints, fewer than --receive.replication-factor \(replicationFactor)")
        }
        let rings = try Hashrings(configs, algorithm: algorithm)
        if !rings.endpoints.contains(where: { $0.address == local }) {
            logger.warning("this receiver (--receive.local-endpoint) is in no hashring: it only forwards", metadata: ["local": "\(local)"])
        }
        return rings
    }

    /// Re-reads both files until cancelled.
    func watch(every interval: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            reload()
        }
    }

    func reload() {
        if let hashringsFile, let data = try? read(hashringsFile) {
            let (changed, local, rf) = state.withLock { ($0.ringsText != data, $0.local ?? "", $0.replicationFactor) }
            if changed {
                do {
                    let rings = try parseRings(data, local: local, replicationFactor: rf)
                    let notify = state.withLock { s -> (@Sendable (Hashrings) -> Void)? in
                        s.rings = rings
                        s.ringsText = data
                        return s.onHashrings
                    }
                    notify?(rings)
                    metrics.hashringReloads.increment()
                    metrics.hashringNodes.record(rings.endpoints.count)
                    logger.info("hashrings file reloaded", metadata: ["endpoints": "\(rings.endpoints.map(\.address))"])
                } catch {
                    state.withLock { $0.ringsText = data }
                    metrics.hashringReloadFailures.increment()
                    logger.error("hashrings file changed but cannot be used; the previous hashrings stay", metadata: ["err": "\(error)"])
                }
            }
        }
        if let limitsFile, let data = try? read(limitsFile) {
            let text = String(decoding: data, as: UTF8.self)
            guard state.withLock({ $0.limitsText != text }) else { return }
            do {
                let l = try ReceiveLimits.parse(text)
                state.withLock { $0.limits = l; $0.limitsText = text }
                logger.info("limits file reloaded")
            } catch {
                state.withLock { $0.limitsText = text }
                metrics.limitsReloadFailures.increment()
                logger.error("limits file changed but cannot be used; the previous limits stay", metadata: ["err": "\(error)"])
            }
        }
    }
}

/// A flag read on every request (whether writes are taken).
final class AtomicFlag: Sendable {
    private let v = Atomic<Bool>(false)
    var value: Bool { v.load(ordering: .acquiring) }
    func set(_ b: Bool) { v.store(b, ordering: .releasing) }
}
