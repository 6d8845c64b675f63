import StrataCore

/// A remote-write request decoded straight from the wire into Strata's own types, whichever
/// protocol version carried it (1.0's `prometheus.WriteRequest`, 2.0's
/// `io.prometheus.write.v2.Request` with its symbol table, or Thanos's forwarded
/// `thanos.WriteRequest`). The receiver appends, routes and forwards this; no generated
/// protobuf message sits between the bytes and the head, because per-series allocation is
/// what remote-write ingestion costs (a request holds mostly one sample per series).
public struct WriteBatch: Sendable, Equatable {
    public var series: [WriteSeries]
    /// Series written by head ref alone: interned series the receiver appended before (their
    /// `internTag`), carrying float samples only, when the decoder was asked for them
    /// (`knownByRef`, a receiver that writes every series itself). They have no `Labels` and no
    /// array of their own — building, retaining and freeing those per series was a fifth of
    /// ingestion — and their samples are ranges of `knownSamples`. Not in `series`.
    public var known: [KnownSeries] = []
    public var knownSamples: [WriteSample] = []
    /// Metadata entries the request carried (1.0 `metadata`, 2.0 per-series metadata); the
    /// receiver does not store them, only counts them.
    public var metadataCount: Int
    /// Why series (or exemplars) of the request were left out, one message each, when decoded
    /// with `InvalidSeriesPolicy.collect`: the receiver writes `series` and answers 400 with
    /// these joined (Prometheus 2.0's partial write). Empty otherwise.
    public var rejected: [String]

    public init(series: [WriteSeries] = [], metadataCount: Int = 0, rejected: [String] = []) {
        self.series = series
        self.metadataCount = metadataCount
        self.rejected = rejected
    }

    /// The 400 to answer after writing `series`, when anything was rejected.
    public var rejectionError: RemoteWriteError? {
        rejected.isEmpty ? nil : RemoteWriteError(httpStatus: 400, rejected.joined(separator: "\n"))
    }

    public var sampleCount: Int { series.reduce(knownSamples.count) { $0 + $1.samples.count } }
    /// Series of both kinds.
    public var seriesCount: Int { series.count + known.count }
    public var histogramCount: Int { series.reduce(0) { $0 + $1.histograms.count } }
    public var exemplarCount: Int { series.reduce(0) { $0 + $1.exemplars.count } }
}

/// A series of `WriteBatch.known`: its intern key (for its labels, should the head have
/// dropped the ref), the head ref, and where its samples are in `knownSamples`.
public struct KnownSeries: Sendable, Equatable {
    public var internKey: UInt64
    public var ref: UInt64
    public var samples: Range<Int>

    public init(internKey: UInt64, ref: UInt64, samples: Range<Int>) {
        self.internKey = internKey
        self.ref = ref
        self.samples = samples
    }
}

/// One series of a request with its samples in the order they were sent.
public struct WriteSeries: Sendable, Equatable {
    public var labels: Labels
    public var samples: [WriteSample]
    public var histograms: [WriteHistogram]
    public var exemplars: [WriteExemplar]
    /// Non-zero when the decoder interned the labels (`SeriesInterner`): equal for every
    /// request carrying this series with the same bytes.
    public var internKey: UInt64 = 0
    /// What the interner's user attached to the series (`SeriesInterner.setTags`), 0 when
    /// nothing: the receiver's head series ref.
    public var internTag: UInt64 = 0

    public init(labels: Labels, samples: [WriteSample] = [], histograms: [WriteHistogram] = [], exemplars: [WriteExemplar] = []) {
        self.labels = labels
        self.samples = samples
        self.histograms = histograms
        self.exemplars = exemplars
    }
}

public struct WriteSample: Sendable, Equatable {
    public var timestamp: Int64
    public var value: Double

    public init(_ timestamp: Int64, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// A native histogram sample: integer counts (`count_int`) or float counts (`count_float`),
/// as the sender chose.
public struct WriteHistogram: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case int(Histogram)
        case float(FloatHistogram)
    }

    public var timestamp: Int64
    public var value: Value

    public init(_ timestamp: Int64, _ value: Value) {
        self.timestamp = timestamp
        self.value = value
    }
}

public struct WriteExemplar: Sendable, Equatable {
    public var labels: Labels
    public var timestamp: Int64
    public var value: Double

    public init(labels: Labels, timestamp: Int64, value: Double) {
        self.labels = labels
        self.timestamp = timestamp
        self.value = value
    }
}
