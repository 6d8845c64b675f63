import Foundation
import StrataCore
import StrataTSDB

/// Conversions between Strata's types and the Store API messages.
extension Labels {
    public init(proto: [Thanos_Label]) {
        self.init(proto.map { Label($0.name, $0.value) })
    }

    public var proto: [Thanos_Label] {
        pairs.map { l in
            var p = Thanos_Label()
            p.name = l.name
            p.value = l.value
            return p
        }
    }
}

/// A request carried a matcher Strata cannot compile (bad regex): the gRPC layer maps it to
/// InvalidArgument.
public struct InvalidMatcher: Error, CustomStringConvertible {
    public let description: String
}

extension Matcher {
    public init(proto m: Thanos_LabelMatcher) throws {
        let type: MatchType
        switch m.type {
        case .eq: type = .equal
        case .neq: type = .notEqual
        case .re: type = .regexMatch
        case .nre: type = .regexNoMatch
        case .UNRECOGNIZED(let v): throw InvalidMatcher(description: "unknown matcher type \(v)")
        }
        do { try self.init(type, m.name, m.value) } catch { throw InvalidMatcher(description: "\(error)") }
    }

    public var proto: Thanos_LabelMatcher {
        var p = Thanos_LabelMatcher()
        p.name = name
        p.value = value
        switch type {
        case .equal: p.type = .eq
        case .notEqual: p.type = .neq
        case .regexMatch: p.type = .re
        case .regexNoMatch: p.type = .nre
        }
        return p
    }
}

extension Array where Element == Thanos_LabelMatcher {
    public func matchers() throws -> [Matcher] { try map { try Matcher(proto: $0) } }
}

extension Thanos_Chunk {
    /// A chunk message from on-disk bytes. The Store API's enum is the on-disk encoding minus
    /// one (XOR = 0); Thanos aggregate sub-chunks are plain XOR.
    public static func xor(_ data: [UInt8]) -> Thanos_Chunk {
        data.withUnsafeBytes { xor($0) }
    }

    /// The bytes copied once, straight into the message.
    public static func xor(_ data: UnsafeRawBufferPointer) -> Thanos_Chunk {
        Thanos_Chunk(.xor, data)
    }

    /// A chunk of any Store API encoding, its bytes copied once.
    public init(_ type: Thanos_Chunk.Encoding, _ data: UnsafeRawBufferPointer) {
        self.init()
        self.type = type
        self.data = Data(data)
    }

    /// A chunk of any on-disk encoding the Store API can carry: XOR and both histogram
    /// encodings as they are; Prometheus 3.11+'s start-timestamp forms (4, 5, 6) transcoded
    /// to them, because the Store API (like Thanos) has no start timestamps. Nil for
    /// aggregate chunks and bytes Strata cannot decode; throws when a start-timestamp chunk
    /// is corrupt.
    public static func stored(encoding: UInt8, _ data: UnsafeRawBufferPointer) throws -> Thanos_Chunk? {
        func type(_ e: ChunkEncoding) -> Thanos_Chunk.Encoding? {
            switch e {
            case .xor: .xor
            case .histogram: .histogram
            case .floatHistogram: .floatHistogram
            default: nil
            }
        }
        guard let e = ChunkEncoding(rawValue: encoding) else { return nil }
        if let t = type(e) { return Thanos_Chunk(t, data) }
        guard let (plain, bytes) = try ChunkTranscoding.withoutStartTimestamps(encoding: encoding, data), let t = type(plain) else { return nil }
        return bytes.withUnsafeBytes { Thanos_Chunk(t, $0) }
    }
}

extension Thanos_AggrChunk {
    /// The sub-chunk for one aggregate, or nil when absent.
    public func chunk(for aggr: Thanos_Aggr) -> Thanos_Chunk? {
        switch aggr {
        case .raw: return hasRaw ? raw : nil
        case .count: return hasCount ? count : nil
        case .sum: return hasSum ? sum : nil
        case .min: return hasMin ? min : nil
        case .max: return hasMax ? max : nil
        case .counter: return hasCounter ? counter : nil
        case .UNRECOGNIZED: return nil
        }
    }
}

extension Thanos_Aggr {
    /// The aggregate's index in a downsampled chunk.
    public var aggrType: AggrType? {
        switch self {
        case .count: return .count
        case .sum: return .sum
        case .min: return .min
        case .max: return .max
        case .counter: return .counter
        case .raw, .UNRECOGNIZED: return nil
        }
    }
}

extension Thanos_ShardInfo {
    /// The shard asked for; nil when there are fewer than two shards (as Thanos reads it).
    public var seriesShard: SeriesShard? {
        guard totalShards > 1 else { return nil }
        return SeriesShard(index: Int(shardIndex), total: Int(totalShards), by: by, labels: Set(self.labels))
    }

    public init(_ s: SeriesShard) {
        self.init()
        shardIndex = Int64(s.index)
        totalShards = Int64(s.total)
        by = s.by
        labels = s.labels.sorted()
    }
}

extension Thanos_SeriesRequest {
    /// The shard this request asks for; nil when it is not sharded (no `shard_info`, or fewer
    /// than two shards, as Thanos reads it).
    public var seriesShard: SeriesShard? {
        get { hasShardInfo ? shardInfo.seriesShard : nil }
        set {
            guard let s = newValue else { clearShardInfo(); return }
            shardInfo = Thanos_ShardInfo(s)
        }
    }
}

extension SeriesShard {
    /// `onResponse` with the series of other shards left out: for a store that can only select
    /// by shard after reading (the sidecar: Prometheus's remote read has no shards).
    public static func filtering(_ shard: SeriesShard?,
                                 _ onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void)
        -> @Sendable (Thanos_SeriesResponse) async throws -> Void {
        guard let shard else { return onResponse }
        return { r in
            if case .series(let s)? = r.result, !shard.contains(Labels(proto: s.labels)) { return }
            try await onResponse(r)
        }
    }
}
