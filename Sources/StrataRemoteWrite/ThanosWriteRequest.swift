import StrataCore

/// Thanos's receive-to-receive forwarding message (`thanos.WriteRequest` in Thanos
/// pkg/store/storepb/rpc.proto): `{ repeated prometheus_copy.TimeSeries timeseries = 1;
/// string tenant = 2; int64 replica = 3; repeated TimeSeriesTenantTuple
/// timeseriesTenantData = 4; }`, the series being 1.0's `TimeSeries`. Replica is 1-based on
/// the wire (0: not replicated). Newer Thanos receivers forward several tenants in one request
/// through field 4 (`TimeSeriesTenantTuple { timeseries = 1; tenant = 2; }`) and leave 1 and 2
/// empty; ignoring it would silently drop their data, so it is decoded into `tenantBatches`.
public struct ThanosWriteRequest: Sendable, Equatable {
    public var tenant: String
    public var replica: Int64
    public var batch: WriteBatch
    /// Per-tenant series from field 4, in wire order (empty from older senders).
    public var tenantBatches: [TenantBatch]

    public struct TenantBatch: Sendable, Equatable {
        public var tenant: String
        public var batch: WriteBatch
        public init(tenant: String, batch: WriteBatch) {
            self.tenant = tenant
            self.batch = batch
        }
    }

    public init(tenant: String, replica: Int64 = 0, batch: WriteBatch, tenantBatches: [TenantBatch] = []) {
        self.tenant = tenant
        self.replica = replica
        self.batch = batch
        self.tenantBatches = tenantBatches
    }

    /// Every (tenant, batch) the request carries: the tuples when there are any (Thanos's
    /// own receiver reads only those then), otherwise the top-level tenant and series.
    public var allTenantBatches: [TenantBatch] {
        tenantBatches.isEmpty ? [TenantBatch(tenant: tenant, batch: batch)] : tenantBatches
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer,
                              invalidSeries policy: InvalidSeriesPolicy = .reject) throws(RemoteWriteError) -> ThanosWriteRequest {
        var r = ProtoReader(bytes)
        var out = ThanosWriteRequest(tenant: "", batch: WriteBatch())
        var labels = LabelCollector()
        var samples: [WriteSample] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "WriteRequest")
                try RemoteWriteV1.decodeSeries(try r.readLengthDelimited(), into: &out.batch, labels: &labels, samples: &samples, policy)
            case 2:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "WriteRequest")
                out.tenant = try tenantString(try r.readBytes())
            case 3:
                try ProtoReader.expect(wire, .varint, field: field, in: "WriteRequest")
                out.replica = Int64(bitPattern: try r.readVarint())
            case 4:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "WriteRequest")
                out.tenantBatches.append(try decodeTuple(try r.readLengthDelimited(), labels: &labels, policy))
            default:
                try r.skip(wire, field: field)
            }
        }
        return out
    }

    public static func decode(_ bytes: [UInt8], invalidSeries policy: InvalidSeriesPolicy = .reject) throws(RemoteWriteError) -> ThanosWriteRequest {
        try withBytes(bytes) { (b) throws(RemoteWriteError) in try decode(b, invalidSeries: policy) }
    }

    private static func decodeTuple(_ r: ProtoReader, labels: inout LabelCollector,
                                    _ policy: InvalidSeriesPolicy) throws(RemoteWriteError) -> TenantBatch {
        var r = r
        var t = TenantBatch(tenant: "", batch: WriteBatch())
        var samples: [WriteSample] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeriesTenantTuple")
                try RemoteWriteV1.decodeSeries(try r.readLengthDelimited(), into: &t.batch, labels: &labels, samples: &samples, policy)
            case 2:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeriesTenantTuple")
                t.tenant = try tenantString(try r.readBytes())
            default:
                try r.skip(wire, field: field)
            }
        }
        return t
    }

    /// Tenant IDs end up in paths and labels: bytes that are not UTF-8 are refused (proto3
    /// strings must be UTF-8; Go's protobuf refuses them too).
    private static func tenantString(_ b: UnsafeRawBufferPointer) throws(RemoteWriteError) -> String {
        guard let s = validatedString(b) else { throw .malformed("tenant is not valid UTF-8") }
        return s
    }

    /// Encodes in field order; `batch` as field 1 with `tenant` (2), `replica` (3), then the
    /// tuples (4).
    public func encode() -> [UInt8] {
        var w = ProtoWriter(capacity: batch.series.count * 128)
        for s in batch.series {
            w.withMessage(1) { w in RemoteWriteV1.encodeSeries(s, into: &w) }
        }
        w.stringField(2, tenant)
        w.int64Field(3, replica)
        for t in tenantBatches {
            w.withMessage(4) { w in
                for s in t.batch.series {
                    w.withMessage(1) { w in RemoteWriteV1.encodeSeries(s, into: &w) }
                }
                w.stringField(2, t.tenant)
            }
        }
        return w.bytes
    }
}
