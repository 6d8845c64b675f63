import Foundation
import StrataCore
import StrataTSDB

/// The invariants the chaos tests hold a bucket to, each returning what it found wrong
/// (empty: it holds). Raw data is read by promtool through `BucketAudit`; only downsampled
/// blocks, which promtool cannot read, go through Strata's `BlockReader`.
public enum ChaosChecks {
    /// Every expected sample is in at least one live raw block of its group, with its value:
    /// what must hold at every moment, also right after a `kill -9`.
    public static func noLoss(_ expected: SampleSet, in blocks: [AuditMeta], audit: BucketAudit) async throws -> (lost: Int, problems: [String]) {
        var seen: SampleSet = [:]
        for b in blocks where b.resolution == 0 {
            for (s, samples) in try await audit.samples(b.ulid) { seen[s, default: [:]].merge(samples) { a, _ in a } }
        }
        var lost = 0, wrong = 0
        var example = ""
        for (s, samples) in expected {
            let have = seen[s] ?? [:]
            for (t, v) in samples {
                guard let got = have[t] else {
                    lost += 1
                    if example.isEmpty { example = "\(s) @\(t) missing" }
                    continue
                }
                if got != v {
                    wrong += 1
                    if example.isEmpty { example = "\(s) @\(t) = \(got), want \(v)" }
                }
            }
        }
        return (lost + wrong, lost + wrong == 0 ? [] : ["\(lost) samples lost, \(wrong) changed (e.g. \(example))"])
    }

    /// After a normal pass: the live raw blocks of the group hold exactly the expected
    /// samples, each exactly once (no loss, no duplicate left by an interrupted pass).
    public static func exactlyOnce(_ expected: SampleSet, in blocks: [AuditMeta], audit: BucketAudit) async throws -> (lost: Int, duplicated: Int, problems: [String]) {
        var count: [String: [Int64: Int]] = [:]
        var problems: [String] = []
        var extra = 0
        for b in blocks where b.resolution == 0 {
            for (s, samples) in try await audit.samples(b.ulid) {
                for (t, v) in samples {
                    count[s, default: [:]][t, default: 0] += 1
                    if expected[s]?[t] != v {
                        extra += 1
                        if problems.count < 3 { problems.append("block \(b.ulid): unexpected sample \(s) @\(t) = \(v)") }
                    }
                }
            }
        }
        var lost = 0, dup = 0
        for (s, samples) in expected {
            for t in samples.keys {
                let n = count[s]?[t] ?? 0
                if n == 0 { lost += 1 } else if n > 1 { dup += n - 1 }
            }
        }
        if lost > 0 { problems.append("\(lost) samples lost") }
        if dup > 0 { problems.append("\(dup) samples present more than once in live raw blocks") }
        return (lost, dup + extra, problems)
    }

    /// Live blocks of one group (external labels without replica labels, resolution) whose
    /// time ranges overlap.
    public static func overlaps(_ live: [AuditMeta], replicaLabels: Set<String>) -> [String] {
        var out: [String] = []
        for (g, blocks) in Dictionary(grouping: live, by: { $0.group(ignoring: replicaLabels) }) {
            let sorted = blocks.sorted { $0.minTime < $1.minTime }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.minTime < a.maxTime {
                out.append("group \(g): \(a.ulid) [\(a.minTime), \(a.maxTime)) overlaps \(b.ulid) [\(b.minTime), \(b.maxTime))")
            }
        }
        return out
    }

    /// Each live downsampled block agrees with the raw input over its range, per series: the
    /// counts add up to the raw samples, the sums to their sum, min and max to theirs.
    public static func downsampled(_ expected: SampleSet, in blocks: [AuditMeta], audit: BucketAudit) async throws -> [String] {
        var out: [String] = []
        for b in blocks where b.resolution > 0 {
            let reader = try BlockReader(dir: try await audit.download(b.ulid))
            var seriesSeen = 0
            for series in try reader.series(matching: []) {
                let name = dumpLabels(series.labels)
                let raw = (expected[name] ?? [:]).filter { $0.key >= b.minTime && $0.key < b.maxTime }.map(\.value)
                func aggregate(_ a: AggrType) throws -> [Double] {
                    var ts: [Int64] = [], vs: [Double] = []
                    try reader.samples(of: series, aggregate: a, into: &ts, &vs)
                    return vs
                }
                let count = try aggregate(.count).reduce(0, +), sum = try aggregate(.sum).reduce(0, +)
                let mn = try aggregate(.min).min(), mx = try aggregate(.max).max()
                seriesSeen += 1
                let rawSum = raw.reduce(0, +)
                if Int(count) != raw.count || abs(sum - rawSum) > 1e-6 * max(1, abs(rawSum)) || mn != raw.min() || mx != raw.max() {
                    out.append("5m block \(b.ulid) \(name): count \(count) sum \(sum) min \(mn ?? .nan) max \(mx ?? .nan); raw \(raw.count) samples, sum \(rawSum) min \(raw.min() ?? .nan) max \(raw.max() ?? .nan)")
                }
            }
            let wanted = expected.filter { $0.value.keys.contains { $0 >= b.minTime && $0 < b.maxTime } }.count
            if seriesSeen != wanted { out.append("downsampled block \(b.ulid) holds \(seriesSeen) series, the raw data \(wanted)") }
        }
        return out
    }

    /// Labels as `promtool tsdb dump` prints them (Go's `labels.String()`).
    public static func dumpLabels(_ l: Labels) -> String { l.description }
}
