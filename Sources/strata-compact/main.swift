import ArgumentParser
import Foundation
import Logging
import StrataCompact
import StrataCore
import StrataObjStore
import StrataSecurity
import StrataServer

/// `strata-compact`: the singleton compactor; flags as in Thanos's `thanos compact`.
@main
struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-compact",
        abstract: "Compacts, downsamples, applies retention to and cleans up a bucket of blocks; one pass and exit unless --wait.",
        discussion: "Exit codes: 0 the pass completed, 1 it quarantined blocks or a job failed (see the log), 3 another compactor holds the lock. The bucket must support conditional writes (If-None-Match, If-Match): see docs/compact.md.")

    @Option(name: .customLong("data-dir"), help: "Scratch directory for blocks being compacted (emptied at every pass; flock-ed).") var dataDir = "./data"
    @Option(name: .customLong("http-address"), help: "Listen host:port for /metrics, /-/healthy, /-/ready and the bucket viewer (/, /api/v1/blocks).") var httpAddress = "0.0.0.0:10902"
    @Flag(name: .customLong("wait"), help: "Keep running: a pass every --wait-interval instead of one pass and exit.") var wait = false
    @Option(name: .customLong("wait-interval"), help: "Time between passes with --wait.") var waitInterval = "5m"
    @Option(name: .customLong("consistency-delay"), help: "Leave blocks younger than this alone (except the compactor's own).") var consistencyDelay = "30m"
    @Option(name: .customLong("retention.resolution-raw"), help: "How long to keep raw blocks (0d: forever).") var retentionRaw = "0d"
    @Option(name: .customLong("retention.resolution-5m"), help: "How long to keep 5m-downsampled blocks (0d: forever).") var retention5m = "0d"
    @Option(name: .customLong("retention.resolution-1h"), help: "How long to keep 1h-downsampled blocks (0d: forever).") var retention1h = "0d"
    @Flag(name: .customLong("compact.enable-vertical-compaction"), help: "Merge overlapping blocks of a group instead of quarantining them.") var verticalCompaction = false
    @Option(name: .customLong("deduplication.replica-label"), help: "External label naming a replica; replicas are merged into one block (repeatable; implies vertical compaction).") var replicaLabels: [String] = []
    @Option(name: .customLong("delete-delay"), help: "Time from a block's deletion mark to its deletion (readers drop it meanwhile).") var deleteDelay = "48h"
    @Option(name: .customLong("compact.concurrency"), help: "Groups compacted at once.") var concurrency = 1
    @Flag(name: .customLong("downsampling.disable"), help: "Do not downsample (5m and 1h resolutions).") var downsamplingDisabled = false
    @Flag(name: .customLong("lock.wait"), help: "Wait for another compactor's lock instead of exiting.") var lockWait = false
    @Option(name: .customLong("lock.ttl"), help: "Lifetime of the bucket lock unless renewed (renewed every third of it; at least 3s). Compactor clocks must agree to well within a third of it.") var lockTTL = "5m"
    @Option(name: .customLong("selector.relabel-config-file"), help: "YAML relabel rules (keep, drop, hashmod) over external labels selecting the groups this compactor owns; several compactors with disjoint selections share a bucket.") var relabelFile: String?
    @Option(name: .customLong("selector.relabel-config"), help: "The relabel rules inline (alternative to the file).") var relabelInline: String?
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"
    @OptionGroup var objstore: ObjStoreOptions
    @OptionGroup var web: WebConfigOptions

    func run() async throws {
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "compact")
        let registry = AdminServer.bootstrapMetrics()
        var config = CompactorConfig(dataDir: dataDir)
        config.consistencyDelay = Double(try parseDuration(consistencyDelay)) / 1000
        config.retention = [0: try parseDuration(retentionRaw), 300_000: try parseDuration(retention5m), 3_600_000: try parseDuration(retention1h)]
        config.verticalCompaction = verticalCompaction
        config.replicaLabels = Set(replicaLabels)
        config.deleteDelay = try parseDuration(deleteDelay)
        config.concurrency = max(1, concurrency)
        config.downsampling = !downsamplingDisabled
        if let relabelFile {
            config.selection = try CompactorSelection(yaml: try String(contentsOfFile: relabelFile, encoding: .utf8))
        } else if let relabelInline {
            config.selection = try CompactorSelection(yaml: relabelInline)
        }
        var options = CompactorService.Options()
        options.httpAddress = httpAddress
        options.web = try web.make()
        options.wait = wait
        options.waitInterval = .milliseconds(try parseDuration(waitInterval))
        options.lockTTL = .milliseconds(max(3000, try parseDuration(lockTTL)))
        options.lockWait = lockWait
        let (bucket, health) = try objstore.makeMonitoredBucket(logger: logger)
        let outcome: CompactorService.Outcome
        do {
            outcome = try await CompactorService(config: config, options: options, bucket: bucket, registry: registry, logger: logger,
                                                 health: health).run()
        } catch {
            try? await bucket.close()
            throw error
        }
        try await bucket.close()
        if case .locked(let why) = outcome { FileHandle.standardError.write(Data("strata-compact: \(why)\n".utf8)) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
