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
        if labelSets.isEmpty { return true }
        return labelSets.contains { set in
            matchers.allSatisfy { m in !set.has(m.name) || m.matches(set[m.name]) }
        }
    }
}
