import ArgumentParser
import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB

/// `strata bucket inspect`: every block's meta.json as a table or JSON (Thanos
/// `tools bucket inspect`), with partial and corrupt blocks reported on stderr.
public struct BucketInspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show the blocks in the bucket: time range, level, resolution, stats, labels, markers.")

    @OptionGroup public var objstore: ObjStoreOptions
    @Option(name: [.short, .customLong("output")], help: "Output format: table or json.")
    public var output: ListOutput = .table

    public init() {}

    public func run() throws {
        let snap = try withConfiguredBucket(objstore) { try await BlockMetaFetcher(bucket: $0).fetch() }
        let metas = snap.sortedMetas
        if output == .json {
            let items = metas.map { m -> String in
                var marks: [String] = []
                if snap.deletionMarks[m.ulid] != nil { marks.append("deletion") }
                if snap.noCompactMarks[m.ulid] != nil { marks.append("no-compact") }
                let meta = m.json.serialized()
                return "{\"meta\":\(meta),\"markers\":[\(marks.map(jsonString).joined(separator: ","))]}"
            }
            print("[" + items.joined(separator: ",") + "]")
        } else {
            var rows = [["ULID", "FROM", "UNTIL", "RANGE", "LEVEL", "RESOLUTION", "SERIES", "SAMPLES", "CHUNKS", "LABELS", "SOURCE", "MARKERS"]]
            for m in metas {
                var marks: [String] = []
                if snap.deletionMarks[m.ulid] != nil { marks.append("deletion") }
                if snap.noCompactMarks[m.ulid] != nil { marks.append("no-compact") }
                rows.append([
                    m.ulid.description, formatRFC3339(m.minTime), formatRFC3339(m.maxTime),
                    formatDuration(m.maxTime - m.minTime), String(m.compaction.level),
                    m.resolution == 0 ? "raw" : formatDuration(m.resolution),
                    String(m.stats.numSeries), String(m.stats.numSamples), String(m.stats.numChunks),
                    m.externalLabels.description, m.thanos?.source ?? "", marks.joined(separator: ","),
                ])
            }
            print(renderTable(rows), terminator: "")
        }
        for id in snap.partial { printError("partial block (no meta.json): \(id)") }
        for (id, why) in snap.corrupted.sorted(by: { $0.key < $1.key }) { printError("corrupt block \(id): \(why)") }
    }
}
