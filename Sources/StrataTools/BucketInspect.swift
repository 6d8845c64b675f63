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
    @Option(name: [.customShort("l"), .customLong("selector")],
            help: "Only blocks whose external labels match, e.g. -l cluster=\"eu\" (repeatable; all must match; =, !=, =~, !~).")
    public var selectors: [String] = []

    public init() {}

    /// `name="value"` (quotes optional) or any single matcher, as Thanos's `--selector` takes them.
    static func matcher(_ text: String) throws -> Matcher {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let ms = try? SeriesSelector.parse("{" + t + "}"), ms.count == 1 { return ms[0] }
        if let eq = t.firstIndex(of: "="), eq != t.startIndex {
            return try Matcher(.equal, String(t[..<eq]), String(t[t.index(after: eq)...]))
        }
        throw ValidationError("--selector must look like name=\"value\", got \(goQuote(text))")
    }

    public func run() throws {
        let matchers = try selectors.map(Self.matcher)
        let snap = try withConfiguredBucket(objstore) { try await BlockMetaFetcher(bucket: $0).fetch() }
        let metas = snap.sortedMetas.filter { m in matchers.allSatisfy { $0.matches(m.externalLabels[$0.name]) } }
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
