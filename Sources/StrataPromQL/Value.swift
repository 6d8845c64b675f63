import StrataCore

/// One sample of a float series: Unix milliseconds and value.
public struct Point: Sendable, Equatable {
    public var t: Int64
    public var v: Double
    public init(t: Int64, v: Double) {
        self.t = t
        self.v = v
    }
}

/// One native histogram sample of a series (Prometheus's HPoint).
public struct HPoint: Sendable, Equatable {
    public var t: Int64
    public var h: FloatHistogram
    public init(t: Int64, h: FloatHistogram) {
        self.t = t
        self.h = h
    }
}

/// A labelled series in time order (query results and intermediate matrices). Floats and
/// native histograms are kept apart, as Prometheus does, so float-only queries pay nothing
/// for histograms; a timestamp has at most one of the two.
public struct Series: Sendable {
    public var labels: Labels
    public var points: [Point]
    public var histograms: [HPoint]
    /// With delayed name removal: an operation that changes the metric's meaning touched this
    /// series, so its name (and `__type__`, `__unit__`) goes when the query's result is
    /// final, not before (`label_replace` onto `__name__` can still keep it).
    public var dropName: Bool
    public init(labels: Labels, points: [Point], histograms: [HPoint] = [], dropName: Bool = false) {
        self.labels = labels
        self.points = points
        self.histograms = histograms
        self.dropName = dropName
    }

    /// What the series costs against the query's sample limit: one per float, a histogram by
    /// its size (`FloatHistogram.sampleWeight`).
    public var sampleCount: Int { points.count + histograms.reduce(0) { $0 + $1.h.sampleWeight } }
}

extension FloatHistogram {
    /// A histogram's weight against the sample limit, as Prometheus counts it: its size in
    /// bytes (168 plus 8 per span, bucket and custom bound) in units of 16.
    public var sampleWeight: Int {
        (168 + 8 * (positiveSpans.count + negativeSpans.count + positiveBuckets.count + negativeBuckets.count
                    + customValues.count) + 8) / 16
    }
}

/// One element of an instant vector: a float `v`, or a native histogram `h` (then `v` is 0).
public struct Sample: Sendable {
    public var labels: Labels
    public var t: Int64
    public var v: Double
    public var h: FloatHistogram?
    /// See `Series.dropName`.
    public var dropName: Bool
    public init(labels: Labels, t: Int64, v: Double, h: FloatHistogram? = nil, dropName: Bool = false) {
        self.labels = labels
        self.t = t
        self.v = v
        self.h = h
        self.dropName = dropName
    }
}

/// A query result, shaped as the Prometheus HTTP API returns it.
public enum QueryResult: Sendable {
    case vector([Sample])
    case matrix([Series])
    case scalar(t: Int64, v: Double)
    case string(t: Int64, v: String)

    public var resultType: String {
        switch self {
        case .vector: return "vector"
        case .matrix: return "matrix"
        case .scalar: return "scalar"
        case .string: return "string"
        }
    }
}

/// A query's result with the warnings and infos evaluating it produced.
public struct QueryOutput: Sendable {
    public var result: QueryResult
    public var annotations: Annotations
}

/// The bit pattern Prometheus writes to mark a series stale; distinct from the ordinary NaN
/// so a real NaN sample is still a value.
public let staleNaNBits: UInt64 = 0x7FF0_0000_0000_0002
public let staleNaN = Double(bitPattern: staleNaNBits)

@inline(__always)
public func isStaleNaN(_ v: Double) -> Bool { v.bitPattern == staleNaNBits }
