import StrataCore
import StrataPromQL

/// Parsing of the HTTP API's parameters, with Prometheus's error texts.
enum APIParams {
    /// Smallest and largest times the API accepts (Prometheus's minTime/maxTime for metadata
    /// endpoints without start/end).
    static let minTime: Int64 = -9_223_309_901_257_974
    static let maxTime: Int64 = 9_223_309_901_257_974

    /// An optional time (Prometheus's parseTimeParam: `time`, and `start`/`end` of the
    /// metadata endpoints).
    static func time(_ form: FormValues, _ name: String, default def: Int64) throws -> Int64 {
        guard let s = form[name], !s.isEmpty else { return def }
        do { return try parseTimestamp(s) } catch {
            throw APIError(.badData, "invalid parameter \"\(name)\": Invalid time value for '\(name)': \(error)")
        }
    }

    /// A required time (`start`/`end` of range queries).
    static func requiredTime(_ form: FormValues, _ name: String) throws -> Int64 {
        let s = form[name] ?? ""
        do { return try parseTimestamp(s) } catch {
            throw APIError(.badData, "invalid parameter \"\(name)\": \(error)")
        }
    }

    /// Thanos's `shard_info`: the JSON of a Store API `ShardInfo` (`shard_index`,
    /// `total_shards`, `by`, `labels`), as Thanos's query frontend sends it; nil when absent or
    /// for fewer than two shards.
    static func shardInfo(_ form: FormValues, _ name: String) throws -> SeriesShard? {
        guard let s = form[name], !s.isEmpty else { return nil }
        func bad(_ why: String) -> APIError { APIError(.badData, "invalid parameter \"\(name)\": \(why)") }
        let doc: JSONValue
        do { doc = try JSONValue(parsing: s) } catch { throw bad("\(error)") }
        guard doc.objectValue != nil else { throw bad("not a JSON object") }
        let index = doc["shard_index"]?.int64Value ?? 0, total = doc["total_shards"]?.int64Value ?? 0
        guard total <= 1 || (0..<total).contains(index) else { throw bad("shard_index \(index) outside 0..<\(total)") }
        guard total > 1 else { return nil }
        let labels = (doc["labels"]?.arrayValue ?? []).compactMap(\.stringValue)
        return SeriesShard(index: Int(index), total: Int(total), by: doc["by"]?.boolValue ?? false, labels: Set(labels))
    }

    /// A duration as float seconds or Prometheus syntax (`15`, `0.5`, `1h30m`), in ms.
    static func duration(_ s: String, _ name: String) throws -> Int64 {
        if let secs = Double(s) {
            let ms = secs * 1000
            guard ms.isFinite, abs(ms) < 9.2e18 else {
                throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\(s)\" to a valid duration. It overflows int64")
            }
            return Int64(ms.rounded())
        }
        do { return try parseDuration(s) } catch {
            throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\(s)\" to a valid duration")
        }
    }

    static func optionalDuration(_ form: FormValues, _ name: String) throws -> Int64? {
        guard let s = form[name], !s.isEmpty else { return nil }
        return try duration(s, name)
    }

    /// Go's strconv.ParseBool, as Thanos reads `dedup` and `partial_response`.
    static func bool(_ form: FormValues, _ name: String, default def: Bool) throws -> Bool {
        guard let s = form[name], !s.isEmpty else { return def }
        switch s {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\(s)\" as a boolean")
        }
    }

    /// `match[]` selectors; each must have a matcher that does not match the empty string.
    static func selectors(_ form: FormValues, _ name: String = "match[]", compat: PromQLCompat) throws -> [[Matcher]] {
        try form.all(name).map { text in
            let ms: [Matcher]
            let empty = APIError(.badData, "invalid parameter \"\(name)\": match[] must contain at least one non-empty matcher")
            do { ms = try PromQL.parseMetricSelector(text, compat: compat) } catch let e as ParseError {
                // The PromQL parser rejects `{a=""}` itself; the API words it as Prometheus does.
                if e.message.contains("at least one non-empty matcher") { throw empty }
                throw APIError(.badData, "invalid parameter \"\(name)\": \(e)")
            }
            guard ms.contains(where: { !$0.matchesEmpty }) else { throw empty }
            return ms
        }
    }

    /// The metadata endpoints' `limit` (Prometheus 3): 0 or absent means no limit.
    static func limit(_ form: FormValues) throws -> Int {
        guard let text = form["limit"], !text.isEmpty else { return 0 }
        guard let n = Int(text) else { throw APIError(.badData, "invalid parameter \"limit\": cannot parse \(goQuote(text)) as an integer") }
        guard n >= 0 else { throw APIError(.badData, "invalid parameter \"limit\": limit must be non-negative") }
        return n
    }

    /// The first `limit` items and Prometheus's warning when there were more.
    static func truncated<T>(_ items: [T], to limit: Int, warnings: [String]) -> ([T], [String]) {
        guard limit > 0 && items.count > limit else { return (items, warnings) }
        return (Array(items.prefix(limit)), warnings + ["results truncated due to limit"])
    }
}
