import ArgumentParser

/// `strata`: tools for blocks, buckets and queries.
public struct StrataCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata tools: inspect, verify, rewrite and generate Prometheus TSDB blocks.",
        subcommands: [BlockCommand.self, BucketCommand.self, PromQLCommand.self, RuleCommand.self, BenchCommand.self]
    )

    public init() {}
}
