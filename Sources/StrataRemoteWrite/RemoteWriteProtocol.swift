import StrataTSDB

/// A remote-write protocol version, named by the protobuf message its body carries.
public enum RemoteWriteVersion: String, Sendable, CaseIterable {
    /// Remote write 1.0, `prometheus.WriteRequest`.
    case v1 = "prometheus.WriteRequest"
    /// Remote write 2.0, `io.prometheus.write.v2.Request`.
    case v2 = "io.prometheus.write.v2.Request"

    /// The fully qualified message name (the Content-Type's `proto` parameter).
    public var messageType: String { rawValue }

    /// The Content-Type a sender sets: 1.0 keeps the bare media type, which 1.0 receivers
    /// that do not parse parameters still accept (as Prometheus's client does).
    public var contentType: String {
        switch self {
        case .v1: return RemoteWriteProtocol.protobufMediaType
        case .v2: return RemoteWriteProtocol.protobufMediaType + ";proto=" + rawValue
        }
    }

    /// The `X-Prometheus-Remote-Write-Version` request header value.
    public var versionHeaderValue: String {
        switch self {
        case .v1: return "0.1.0"
        case .v2: return "2.0.0"
        }
    }
}

/// HTTP framing of remote write as Prometheus 3.14's receiver does it (client_golang
/// `exp/api/remote` `writeHandler` and `SnappyDecodeMiddleware`): which version a request
/// speaks, header names, and turning a compressed body into a `WriteBatch`.
public enum RemoteWriteProtocol {
    public static let protobufMediaType = "application/x-protobuf"
    /// The only Content-Encoding remote write defines (snappy block format, not framed).
    public static let snappyEncoding = "snappy"

    /// Request header: the sender's protocol version (`RemoteWriteVersion.versionHeaderValue`).
    public static let versionHeader = "X-Prometheus-Remote-Write-Version"
    /// 2.0 response headers: what was written, so a 2.0 sender can tell a 2.0 receiver from a
    /// 1.0 one that ignored the Content-Type (it treats a 2xx without them as a failure).
    public static let samplesWrittenHeader = "X-Prometheus-Remote-Write-Samples-Written"
    public static let histogramsWrittenHeader = "X-Prometheus-Remote-Write-Histograms-Written"
    public static let exemplarsWrittenHeader = "X-Prometheus-Remote-Write-Exemplars-Written"

    /// The version of a request from its headers, or a 415 with Prometheus's message.
    ///
    /// Content-Encoding is checked first, as Prometheus's snappy middleware runs before the
    /// handler: absent or `snappy` is accepted (Prometheus tries snappy on a body without the
    /// header), anything else is refused. Content-Type: absent means
    /// `application/x-protobuf`; the media type must match exactly after trimming the whole
    /// value; parameters are split on `;` and `=` exactly as Go's `strings.Split` does (so
    /// `; proto=…` with a space is not the `proto` parameter and means 1.0, as in Prometheus);
    /// no `proto` parameter means 1.0; an unknown message, or one not in `accepted`, is refused.
    public static func negotiate(contentType: String?, contentEncoding: String?,
                                 accepted: Set<RemoteWriteVersion> = Set(RemoteWriteVersion.allCases)) throws(RemoteWriteError) -> RemoteWriteVersion {
        if let enc = contentEncoding, !enc.isEmpty, enc != snappyEncoding {
            throw RemoteWriteError(httpStatus: 415, "\(enc) encoding (compression) is not accepted by this server; only \(snappyEncoding) is acceptable")
        }
        var ct = contentType ?? ""
        if ct.isEmpty { ct = protobufMediaType }
        let version = try parseContentType(ct)
        guard accepted.contains(version) else {
            let list = RemoteWriteVersion.allCases.filter { accepted.contains($0) }.map(\.rawValue).joined(separator: ", ")
            throw RemoteWriteError(httpStatus: 415, "\(version.rawValue) protobuf message is not accepted by this server; only accepts \(list)")
        }
        return version
    }

    /// client_golang's `ParseProtoMsg`.
    private static func parseContentType(_ raw: String) throws(RemoteWriteError) -> RemoteWriteVersion {
        let contentType = goTrimSpace(raw)
        let parts = contentType.split(separator: ";", omittingEmptySubsequences: false)
        guard parts[0] == protobufMediaType else {
            throw RemoteWriteError(httpStatus: 415, "expected \(protobufMediaType) as the first (media) part, got \(contentType) content-type")
        }
        for p in parts.dropFirst() {
            let pair = p.split(separator: "=", omittingEmptySubsequences: false)
            guard pair.count == 2 else {
                throw RemoteWriteError(httpStatus: 415, "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got \(p) in \(contentType) content-type")
            }
            if pair[0] == "proto" {
                guard let v = RemoteWriteVersion(rawValue: String(pair[1])) else {
                    let supported = RemoteWriteVersion.allCases.map(\.rawValue).joined(separator: ", ")
                    throw RemoteWriteError(httpStatus: 415, "got \(contentType) content type; unknown type for remote write protobuf message \(pair[1]), supported: \(supported)")
                }
                return v
            }
        }
        return .v1
    }

    /// Go's `strings.TrimSpace` for the ASCII whitespace a header can hold.
    private static func goTrimSpace(_ s: String) -> String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        var sub = Substring(s)
        while let f = sub.first, ws.contains(f) { sub = sub.dropFirst() }
        while let l = sub.last, ws.contains(l) { sub = sub.dropLast() }
        return String(sub)
    }

    /// Snappy-decodes a request body and decodes it as `version`. A body whose snappy header
    /// announces more than `maxDecompressedBytes` is refused with 413 before anything is
    /// allocated; invalid snappy data or protobuf is a 400 (Prometheus answers 400 for both).
    public static func decodeBody(_ body: [UInt8], version: RemoteWriteVersion, maxDecompressedBytes: Int,
                                  invalidSeries policy: InvalidSeriesPolicy = .reject,
                                  interner: SeriesInterner? = nil, knownByRef: Bool = false) throws(RemoteWriteError) -> WriteBatch {
        let raw = try decompress(body, maxDecompressedBytes: maxDecompressedBytes)
        switch version {
        case .v1: return try RemoteWriteV1.decode(raw, invalidSeries: policy, interner: interner, knownByRef: knownByRef)
        case .v2: return try RemoteWriteV2.decode(raw, invalidSeries: policy, interner: interner, knownByRef: knownByRef)
        }
    }

    /// The snappy block format starts with the uncompressed length as a varint, so the limit
    /// is checked on it, and a 413 told apart from corrupt data, before decompressing.
    public static func decompress(_ body: [UInt8], maxDecompressedBytes: Int) throws(RemoteWriteError) -> [UInt8] {
        let announced = try withBytes(body) { (b) throws(RemoteWriteError) -> UInt64 in
            var r = ProtoReader(b)
            do throws(RemoteWriteError) { return try r.readVarint() } catch {
                throw RemoteWriteError(httpStatus: 400, "snappy: corrupt input")
            }
        }
        guard announced <= UInt64(max(0, maxDecompressedBytes)) else {
            throw RemoteWriteError(httpStatus: 413, "decompressed request body of \(announced) bytes exceeds the limit of \(maxDecompressedBytes) bytes")
        }
        do {
            return try Snappy.decompress(body, limit: maxDecompressedBytes)
        } catch {
            throw RemoteWriteError(httpStatus: 400, "snappy: corrupt input (\(error))")
        }
    }

    /// Compresses an encoded request for sending (load generator, forwarding, tests).
    public static func compress(_ encoded: [UInt8]) -> [UInt8] { Snappy.compress(encoded) }
}
