import StrataCore
import StrataStoreAPI

/// What the querier knows about one Store API endpoint from its last Info call.
public struct EndpointStatus: Sendable {
    public let name: String
    public let client: any StoreClient
    /// External label sets the endpoint serves (empty: unknown, matches anything).
    public var labelSets: [Labels] = []
    public var minTime: Int64 = .min
    public var maxTime: Int64 = .max
    public var component = ""
    /// The APIs besides the Store API its last Info advertised (Thanos's infopb fields).
    public var apis: ServedAPIs = []
    public var healthy = false
    public var lastError: String?
    /// Unix ms of the last Info attempt and of the last success.
    public var lastCheck: Int64 = 0
    public var lastHealthy: Int64 = 0

    public init(name: String, client: any StoreClient) {
        self.name = name
        self.client = client
    }

    mutating func update(from info: Thanos_Info_InfoResponse, at now: Int64) {
        labelSets = info.labelSets.map { Labels(proto: $0.labels) }
        component = info.componentType
        apis = ServedAPIs(info: info)
        if info.hasStore {
            minTime = info.store.minTime
            maxTime = info.store.maxTime
        }
        healthy = true
        lastError = nil
        lastCheck = now
        lastHealthy = now
    }

    /// Whether the endpoint can hold data for the time range and matchers: its time range
    /// overlaps, and some external label set does not contradict a matcher on its labels.
    public func canMatch(minTime lo: Int64, maxTime hi: Int64, matchers: [Matcher]) -> Bool {
        guard minTime <= hi && maxTime >= lo else { return false }
        return canMatch(matchers)
    }

    /// Whether some external label set does not contradict a matcher on its labels (Thanos's
    /// `LabelSetsMatch`); an endpoint without label sets may hold anything.
    public func canMatch(_ matchers: [Matcher]) -> Bool {
        if labelSets.isEmpty { return true }
        return labelSets.contains { set in
            matchers.allSatisfy { m in !set.has(m.name) || m.matches(set[m.name]) }
        }
    }
}

/// The Thanos APIs an endpoint serves besides the Store API, from its Info answer: a present
/// `targets`, `metric_metadata`, `exemplars` or `rules` message means it serves that API.
/// The querier asks only endpoints that advertised an API, as Thanos's endpoint set does.
public struct ServedAPIs: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let targets = ServedAPIs(rawValue: 1)
    public static let metadata = ServedAPIs(rawValue: 2)
    public static let exemplars = ServedAPIs(rawValue: 4)
    public static let rules = ServedAPIs(rawValue: 8)
    /// Thanos's Query API: the endpoint evaluates PromQL fragments over its own series.
    public static let query = ServedAPIs(rawValue: 16)

    public init(info: Thanos_Info_InfoResponse) {
        var s: ServedAPIs = []
        if info.hasTargets { s.insert(.targets) }
        if info.hasMetricMetadata { s.insert(.metadata) }
        if info.hasExemplars { s.insert(.exemplars) }
        if info.hasRules { s.insert(.rules) }
        if info.hasQuery { s.insert(.query) }
        self = s
    }
}
