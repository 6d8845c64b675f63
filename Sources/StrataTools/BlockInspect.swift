import StrataCore
import StrataTSDB

/// `strata block inspect`: what `promtool tsdb analyze` tells, plus the meta.json facts, as a
/// table or JSON.
public struct BlockReport: Sendable {
    public var meta: BlockMeta
    public var indexBytes: Int64
    public var chunkBytes: Int64
    public var labelNameCount: Int
    public var symbolCount: Int
    /// (metric name, series) by series, descending.
    public var topMetrics: [(String, Int)]
    /// (label name, distinct values) by values, descending.
    public var labelCardinality: [(String, Int)]
    /// (label name, Σ value lengths over distinct values), descending.
    public var labelValueBytes: [(String, Int)]
    /// (label=value pair, series), descending.
    public var topPairs: [(String, Int)]

    public static func build(dir: String, limit: Int) throws -> BlockReport {
        let b = try BlockReader(dir: dir)
        let idx = b.index
        var metrics: [(String, Int)] = []
        var card: [(String, Int)] = []
        var bytes: [(String, Int)] = []
        var pairs: [(String, Int)] = []
        for name in idx.labelNames {
            let values = idx.labelValues(name)
            card.append((name, values.count))
            bytes.append((name, values.reduce(0) { $0 + $1.utf8.count }))
            for v in values {
                let n = try idx.postings(name, v).count
                if name == metricNameLabel { metrics.append((v, n)) }
                pairs.append((name + "=" + v, n))
            }
        }
        func top(_ a: [(String, Int)]) -> [(String, Int)] {
            Array(a.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(limit))
        }
        var chunkBytes: Int64 = 0
        for f in (try? listDirectory(dir + "/chunks")) ?? [] { chunkBytes += (try? fileSize(dir + "/chunks/" + f)) ?? 0 }
        return BlockReport(meta: b.meta, indexBytes: try fileSize(dir + "/index"), chunkBytes: chunkBytes,
                           labelNameCount: idx.labelNames.count, symbolCount: idx.symbols.count,
                           topMetrics: top(metrics), labelCardinality: top(card), labelValueBytes: top(bytes), topPairs: top(pairs))
    }

    public var text: String {
        let m = meta
        var s = ""
        s += renderTable([
            ["ULID", "FROM", "UNTIL", "RANGE", "SERIES", "SAMPLES", "CHUNKS", "LEVEL", "RESOLUTION", "SOURCE"],
            [m.ulid.description, formatRFC3339(m.minTime), formatRFC3339(m.maxTime), formatDuration(m.maxTime - m.minTime),
             String(m.stats.numSeries), String(m.stats.numSamples), String(m.stats.numChunks), String(m.compaction.level),
             formatDuration(m.resolution), m.thanos?.source ?? ""],
        ])
        s += "\nExternal labels: \(m.externalLabels)\n"
        s += "Index: \(indexBytes) bytes, \(symbolCount) symbols, \(labelNameCount) label names. Chunks: \(chunkBytes) bytes"
        if m.stats.numSamples > 0 {
            s += " (\(String(format2(Double(chunkBytes) / Double(m.stats.numSamples)))) bytes/sample)"
        }
        s += "\n"
        func section(_ title: String, _ header: [String], _ rows: [(String, Int)]) {
            s += "\n\(title)\n" + renderTable([header] + rows.map { [String($0.1), $0.0] })
        }
        section("Highest cardinality metric names:", ["SERIES", "METRIC"], topMetrics)
        section("Highest cardinality labels:", ["VALUES", "LABEL"], labelCardinality)
        section("Label names with highest cumulative label value length:", ["BYTES", "LABEL"], labelValueBytes)
        section("Most common label pairs:", ["SERIES", "PAIR"], topPairs)
        return s
    }

    public var json: JSONValue {
        func list(_ a: [(String, Int)], _ k: String, _ v: String) -> JSONValue {
            .array(a.map { .object([JSONMember(k, .string($0.0)), JSONMember(v, .int(Int64($0.1)))]) })
        }
        return .object([
            JSONMember("meta", meta.json),
            JSONMember("indexBytes", .int(indexBytes)),
            JSONMember("chunkBytes", .int(chunkBytes)),
            JSONMember("symbols", .int(Int64(symbolCount))),
            JSONMember("labelNames", .int(Int64(labelNameCount))),
            JSONMember("topMetrics", list(topMetrics, "metric", "series")),
            JSONMember("labelCardinality", list(labelCardinality, "label", "values")),
            JSONMember("labelValueBytes", list(labelValueBytes, "label", "bytes")),
            JSONMember("topLabelPairs", list(topPairs, "pair", "series")),
        ])
    }
}

/// Two decimals, without Foundation's formatter.
func format2(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    let s = GoFloat.f(r)
    return s
}
