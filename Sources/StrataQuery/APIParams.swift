import StrataCore
import StrataPromQL

/// Parsing of the HTTP API's parameters, with Prometheus's error texts.
enum APIParams {
    /// Smallest and largest times the API accepts (Prometheus's minTime/maxTime for metadata
    /// endpoints without start/end).
    static let minTime: Int64 = -9_223_309_901_257_974
    static let maxTime: Int64 = 9_223_309_901_257_974

    static func time(_ form: FormValues, _ name: String, default def: Int64) throws -> Int64 {
        guard let s = form[name], !s.isEmpty else { return def }
        do { return try parseTimestamp(s) } catch {
            throw APIError(.badData, "invalid parameter \"\(name)\": \(error)")
        }
    }

    static func requiredTime(_ form: FormValues, _ name: String) throws -> Int64 {
        guard let s = form[name], !s.isEmpty else {
            throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\" to a valid timestamp")
        }
        return try time(form, name, default: 0)
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
    static func selectors(_ form: FormValues, _ name: String = "match[]") throws -> [[Matcher]] {
        try form.all(name).map { text in
            let ms: [Matcher]
            do { ms = try PromQL.parseMetricSelector(text) } catch { throw APIError(.badData, "\(error)") }
            guard ms.contains(where: { !$0.matchesEmpty }) else {
                throw APIError(.badData, "match[] must contain at least one non-empty matcher")
            }
            return ms
        }
    }
}
