import StrataCore

/// Which Prometheus release's PromQL the engine follows. 3.14 is the default: it is what
/// current Prometheus and Thanos run (left-open ranges, UTF-8 names, Kahan sums). 2.42 stays
/// selectable and reproduces that release exactly, so the real 2.42 binary keeps working as a
/// live oracle in the differential tests and 2.42's own test scripts keep passing.
public enum PromQLCompat: String, Sendable, CaseIterable, CustomStringConvertible {
    case v3_14 = "3.14"
    case v2_42 = "2.42"

    public var description: String { rawValue }

    /// The Prometheus version whose semantics this follows (`/api/v1/status/buildinfo`).
    public var prometheusVersion: String {
        switch self {
        case .v3_14: return "3.14.0"
        case .v2_42: return "2.42.0"
        }
    }

    /// Parses a flag value (`3.14`, `2.42`, also `3`/`2`); nil when unknown.
    public init?(flag: String) {
        switch flag {
        case "3.14", "3": self = .v3_14
        case "2.42", "2": self = .v2_42
        default: return nil
        }
    }

    /// Range selectors, subqueries and the lookback window exclude a sample exactly at their
    /// start (Prometheus 3.0 made every window left-open).
    var leftOpenWindows: Bool { self == .v3_14 }

    /// Regex `.` also matches a newline (3.0 compiles matchers and label_replace's regex with
    /// RE2's `s` flag).
    var regexDotMatchesNewline: Bool { self == .v3_14 }

    /// Quoted metric and label names (`{"http.server.duration"}`, `by ("service.name")`),
    /// added in Prometheus 3.0.
    var quotedNames: Bool { self == .v3_14 }
}

extension Labels {
    /// The labels without the metric name, as an operation that changes the metric's meaning
    /// leaves them. 3.x also drops `__type__` and `__unit__`, which describe the named metric.
    func droppingName(_ compat: PromQLCompat) -> Labels {
        guard compat == .v3_14 else { return dropMetricName() }
        // Per series: a byte test before any hashing, no copy when nothing goes.
        let isMetadata = { (p: Label) in p.name.utf8.first == UInt8(ascii: "_") && metricMetadataLabels.contains(p.name) }
        return pairs.contains(where: isMetadata) ? filtered { !isMetadata($0) } : self
    }
}

/// `__name__`, `__type__`, `__unit__` (Prometheus's schema.IsMetadataLabel).
let metricMetadataLabels: Set<String> = [metricNameLabel, "__type__", "__unit__"]
