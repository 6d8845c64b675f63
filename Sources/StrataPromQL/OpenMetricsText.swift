import StrataCore

/// Loads OpenMetrics / Prometheus text exposition into a `MemoryQueryable` for
/// `strata promql eval --data`. Timestamps are OpenMetrics seconds (fractions allowed);
/// samples without one are stored at `defaultTime`.
public enum OpenMetricsText {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func load(_ text: String, into store: inout MemoryQueryable, defaultTime: Int64) throws {
        var lineNo = 0
        // Series repeat on many lines; parse each distinct metric text once.
        var parsed: [Substring: Labels] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            // Split the value and optional timestamp off the end; label values may contain
            // spaces, so find the end of the label set first.
            var metricEnd = line.endIndex
            if let brace = line.firstIndex(of: "{") {
                var inQuote = false
                var escaped = false
                var idx = line.index(after: brace)
                while idx < line.endIndex {
                    let c = line[idx]
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuote.toggle() } else if c == "}" && !inQuote {
                        metricEnd = line.index(after: idx)
                        break
                    }
                    idx = line.index(after: idx)
                }
            } else if let sp = line.firstIndex(where: { $0 == " " || $0 == "\t" }) {
                metricEnd = sp
            }
            let metricText = line[..<metricEnd]
            let rest = line[metricEnd...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !rest.isEmpty, let value = parseGoFloat(rest[0]) else {
                throw Error(description: "line \(lineNo): cannot parse sample \(goQuote(line))")
            }
            var t = defaultTime
            if rest.count > 1 {
                guard let secs = Double(rest[1]), secs.isFinite else {
                    throw Error(description: "line \(lineNo): bad timestamp \(goQuote(rest[1]))")
                }
                t = Int64((secs * 1000).rounded())
            }
            let labels: Labels
            if let hit = parsed[metricText] {
                labels = hit
            } else {
                do { labels = try SeriesDescription.parse(String(metricText)).0 } catch {
                    throw Error(description: "line \(lineNo): \(error)")
                }
                parsed[metricText] = labels
            }
            store.append(labels, t, value)
        }
    }
}
