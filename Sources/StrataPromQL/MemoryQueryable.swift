import StrataCore

/// An in-memory `Queryable` for tests, the test-script runner and `strata promql eval`.
/// Appends must be in time order per series (as TSDB appenders require); a duplicate
/// timestamp replaces the earlier value.
public struct MemoryQueryable: Queryable {
    private var series: [Labels: SampleColumns] = [:]
    private var histograms: [Labels: HistogramColumns] = [:]

    public init() {}

    public mutating func append(_ labels: Labels, _ t: Int64, _ v: Double) {
        // Mutate in place through the dictionary so the column arrays are never copied.
        series[labels, default: SampleColumns()].insert(t, v)
    }

    public mutating func append(_ labels: Labels, _ t: Int64, _ h: FloatHistogram) {
        histograms[labels, default: HistogramColumns()].insert(t, h)
    }

    public mutating func clear() {
        series = [:]
        histograms = [:]
    }

    public var seriesCount: Int { Set(series.keys).union(histograms.keys).count }

    public func select(matchers: [Matcher], hints: SelectHints) async throws -> [StorageSeries] {
        selectSync(matchers: matchers, hints: hints)
    }

    /// Synchronous selection; the samples are trimmed to [hints.start, hints.end].
    public func selectSync(matchers: [Matcher], hints: SelectHints) -> [StorageSeries] {
        var out: [StorageSeries] = []
        var seen = Set<Labels>()
        for (labels, cols) in series where labels.matches(matchers) {
            seen.insert(labels)
            let lo = cols.firstIndex(atOrAfter: hints.start)
            let hi = hints.end == Int64.max ? cols.count : cols.firstIndex(atOrAfter: hints.end &+ 1)
            let floats = lo >= hi ? SampleColumns() : SampleColumns(
                timestamps: Array(cols.timestamps[lo..<hi]), values: Array(cols.values[lo..<hi]))
            let hists = histograms[labels]?.slice(hints.start, hints.end) ?? HistogramColumns()
            if floats.count == 0 && hists.isEmpty { continue }
            out.append(StorageSeries(labels: labels, samples: floats, histograms: hists))
        }
        for (labels, cols) in histograms where !seen.contains(labels) && labels.matches(matchers) {
            let hists = cols.slice(hints.start, hints.end)
            if hists.isEmpty { continue }
            out.append(StorageSeries(labels: labels, samples: SampleColumns(), histograms: hists))
        }
        out.sort { $0.labels < $1.labels }
        return out
    }
}
