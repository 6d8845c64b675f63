import Foundation
import StrataCore

/// A store whose series a query evaluated in the same process (query pushdown) reads without
/// Store API messages: the same selection as a Series request, but raw XOR chunks handed over
/// as the bytes the store fetched. Building, copying and reading back an `AggrChunk` per chunk
/// cost as much as the selection itself, and the decoder needs only the bytes.
public protocol LocalSeriesSource: Sendable {
    /// What `series(request)` would send — sorted by labels, each label set once, the same
    /// limits, warnings and errors — with chunks as `SelectedSeries.Chunks`.
    func selectedSeries(_ request: Thanos_SeriesRequest) async throws -> (series: [SelectedSeries], warnings: [String])
}

/// One series of a selection and its chunks within the requested range.
public struct SelectedSeries: Sendable {
    public enum Chunks: Sendable {
        /// Raw XOR chunks in time order, none overlapping the next (the common case).
        case xor([RawXORChunk<ArraySlice<UInt8>>])
        /// Anything else (native histograms, downsampled aggregates, overlapping blocks) as the
        /// Store API carries it.
        case messages([Thanos_AggrChunk])
    }

    public var labels: Labels
    public var chunks: Chunks

    public init(labels: Labels, chunks: Chunks) {
        self.labels = labels
        self.chunks = chunks
    }

    /// How many chunks the series holds.
    public var chunkCount: Int {
        switch chunks {
        case .xor(let c): c.count
        case .messages(let c): c.count
        }
    }
}

/// A raw XOR chunk's time range and encoded bytes (without the encoding byte), wherever they
/// live: a received message's `Data` or a slice of a store's fetched range.
public struct RawXORChunk<Bytes: ContiguousBytes & Sendable>: Sendable {
    public let minTime: Int64
    public let maxTime: Int64
    public let data: Bytes

    public init(minTime: Int64, maxTime: Int64, data: Bytes) {
        self.minTime = minTime
        self.maxTime = maxTime
        self.data = data
    }
}
