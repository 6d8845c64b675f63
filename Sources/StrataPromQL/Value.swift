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

/// A labelled series of points in time order (query results and intermediate matrices).
public struct Series: Sendable {
    public var labels: Labels
    public var points: [Point]
    public init(labels: Labels, points: [Point]) {
        self.labels = labels
        self.points = points
    }
}

/// One element of an instant vector.
public struct Sample: Sendable {
    public var labels: Labels
    public var t: Int64
    public var v: Double
    public init(labels: Labels, t: Int64, v: Double) {
        self.labels = labels
        self.t = t
        self.v = v
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

/// The bit pattern Prometheus writes to mark a series stale; distinct from the ordinary NaN
/// so a real NaN sample is still a value.
public let staleNaNBits: UInt64 = 0x7FF0_0000_0000_0002
public let staleNaN = Double(bitPattern: staleNaNBits)

@inline(__always)
public func isStaleNaN(_ v: Double) -> Bool { v.bitPattern == staleNaNBits }
