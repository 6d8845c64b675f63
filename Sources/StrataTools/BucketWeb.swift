import ArgumentParser
import Foundation
import Logging
import StrataBucketWeb
import StrataCore
import StrataObjStore
import StrataSecurity
import StrataServer

/// `strata bucket web`: the bucket viewer (Thanos `tools bucket web`) — every block on a
/// timeline per external-label group and resolution, with levels, stats, marks, partial
/// uploads, gaps and overlaps — plus `/api/v1/blocks` in Thanos's JSON shape.
public struct BucketWebCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve a web page showing every block of the bucket on a timeline (and /api/v1/blocks).",
        discussion: "The list is re-read every --refresh; when the bucket cannot be read the page keeps the last list and shows the error (strata_bucket_web_sync_failures_total counts them).")

    @OptionGroup public var objstore: ObjStoreOptions
    @OptionGroup public var web: WebConfigOptions
    @Option(name: .customLong("http-address"), help: "Listen host:port for the page, /api/v1/blocks, /metrics, /-/healthy, /-/ready.")
    public var httpAddress = "0.0.0.0:10902"
    @Option(name: .customLong("refresh"), help: "How often the block list is re-read from the bucket.")
    public var refresh = "30m"
    @Option(name: .customLong("timeout"), help: "Longest one read of the bucket may take before it counts as failed.")
    public var timeout = "5m"
    @Option(name: .customLong("label"), help: "External label whose value titles each group (default: all external labels).")
    public var label: String?

    @Option(name: .customLong("web.route-prefix"), help: "Path the page and /api/v1/blocks are served under, e.g. /bucket (default: the root).")
    public var routePrefix = ""

    public init() {}

    public func run() throws {
        var options = BucketWebService.Options()
        options.httpAddress = httpAddress
        options.refresh = .milliseconds(max(1000, try parseDuration(refresh)))
        options.timeout = .milliseconds(max(1000, try parseDuration(timeout)))
        options.routePrefix = routePrefix
        options.label = label.flatMap { $0.isEmpty ? nil : $0 }
        options.web = try web.make()
        _ = try AdminServer.parseAddress(httpAddress)
        // Logs go to stderr as logfmt: `strata`'s main set the logging system up already.
        let logger = Logger(label: "bucket.web")
        let registry = AdminServer.bootstrapMetrics()
        let (bucket, health) = try objstore.makeMonitoredBucket(logger: logger)
        let settings = options
        try runBlocking {
            let service = BucketWebService(options: settings, bucket: bucket, registry: registry, logger: logger, health: health)
            do {
                try await service.run { port in logger.info("serving the bucket viewer", metadata: ["port": "\(port)"]) }
            } catch {
                try? await bucket.close()
                throw error
            }
            try await bucket.close()
        }
    }
}
