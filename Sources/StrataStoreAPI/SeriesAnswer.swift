import StrataCore

/// One message of a Series call's answer as a store produces it (`StoreClient.seriesAnswers`):
/// a series with its chunks as the store holds them — raw XOR chunks as slices of the bytes it
/// fetched, written to the wire straight from there — or any other message as it is. Building
/// an `AggrChunk` message per chunk (its bytes copied in), writing it and destroying it was
/// most of a store's work on a week of raw chunks.
public enum SeriesAnswer: Sendable {
    case series(SelectedSeries)
    case message(Thanos_SeriesResponse)

    /// As the Store API message (a selected series' raw chunks copied into `AggrChunk`s).
    public var message: Thanos_SeriesResponse {
        switch self {
        case .series(let s): .series(Thanos_Series(s))
        case .message(let m): m
        }
    }
}

extension SelectedSeries {
    /// The chunks as the Store API carries them (raw XOR chunks copied into `AggrChunk`s).
    public var aggrChunks: [Thanos_AggrChunk] {
        switch chunks {
        case .xor(let list):
            list.map { c in
                var a = Thanos_AggrChunk()
                a.minTime = c.minTime
                a.maxTime = c.maxTime
                a.raw = c.data.withUnsafeBytes { Thanos_Chunk.xor($0) }
                return a
            }
        case .messages(let list):
            list
        }
    }

    /// Bytes of labels and chunk data: what a querier's byte budget counts.
    public var byteCount: Int {
        var n = labels.pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        switch chunks {
        case .xor(let list):
            for c in list { n += c.data.count }
        case .messages(let list):
            for c in list {
                n += c.raw.data.count + c.count.data.count + c.sum.data.count + c.min.data.count + c.max.data.count
                    + c.counter.data.count
            }
        }
        return n
    }
}

extension Thanos_Series {
    /// The message of a selected series.
    public init(_ s: SelectedSeries) {
        self.init()
        labels = s.labels.proto
        chunks = s.aggrChunks
    }
}
