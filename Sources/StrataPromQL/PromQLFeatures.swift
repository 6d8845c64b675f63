import StrataCore

/// Experimental PromQL features of Prometheus 3.x, off unless enabled, named as Prometheus's
/// `--enable-feature` values so the same names work on strata-query. They only apply in 3.14
/// mode; 2.42 has none of them.
public struct PromQLFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `promql-experimental-functions`: functions and aggregations marked experimental
    /// (`double_exponential_smoothing`, `mad_over_time`, `sort_by_label`, `limitk`, …).
    public static let experimentalFunctions = PromQLFeatures(rawValue: 1 << 0)
    /// `promql-extended-range-selectors`: `anchored` and `smoothed` range selectors.
    public static let extendedRangeSelectors = PromQLFeatures(rawValue: 1 << 1)
    /// `promql-binop-fill-modifiers`: `fill`, `fill_left`, `fill_right` on binary operators.
    public static let binopFillModifiers = PromQLFeatures(rawValue: 1 << 2)

    /// `promql-delayed-name-removal`: an operation that changes a metric's meaning only marks
    /// its series; the name goes at the end of the query, so `label_replace` can still read it
    /// and `sum by (__name__)` still groups by it.
    public static let delayedNameRemoval = PromQLFeatures(rawValue: 1 << 3)

    public static let all: PromQLFeatures = [.experimentalFunctions, .extendedRangeSelectors, .binopFillModifiers, .delayedNameRemoval]

    /// `--enable-feature` names; `promql-duration-expr` is accepted and always on, as in 3.14.
    public static let byName: [String: PromQLFeatures] = [
        "promql-experimental-functions": .experimentalFunctions,
        "promql-extended-range-selectors": .extendedRangeSelectors,
        "promql-binop-fill-modifiers": .binopFillModifiers,
        "promql-delayed-name-removal": .delayedNameRemoval,
        "promql-duration-expr": [],
    ]

    /// The features of comma-separated or repeated `--enable-feature` values; throws on an
    /// unknown name (Prometheus only warns, but a typo silently disabling a feature is worse).
    public static func parse(_ values: [String]) throws -> PromQLFeatures {
        var out: PromQLFeatures = []
        for v in values {
            for name in v.split(separator: ",") {
                let n = String(name).trimmingSpaces()
                guard let f = byName[n] else {
                    throw UnknownFeature(name: n)
                }
                out.formUnion(f)
            }
        }
        return out
    }

    public struct UnknownFeature: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "unknown feature \(goQuote(name)); known: \(PromQLFeatures.byName.keys.sorted().joined(separator: ", "))"
        }
    }
}
