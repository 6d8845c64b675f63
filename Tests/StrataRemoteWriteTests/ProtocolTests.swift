import Testing
import StrataCore
import StrataTSDB
@testable import StrataRemoteWrite

/// Content negotiation as Prometheus 3.14 (client_golang exp/api/remote) answers.
@Suite struct ProtocolTests {
    static let unknownMessage = "unknown type for remote write protobuf message"

    @Test(arguments: [
        (nil, nil, RemoteWriteVersion.v1),
        ("", "snappy", .v1),
        ("application/x-protobuf", "snappy", .v1),
        ("  application/x-protobuf  ", "snappy", .v1),
        ("application/x-protobuf;proto=prometheus.WriteRequest", "snappy", .v1),
        ("application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy", .v2),
        ("application/x-protobuf;proto=io.prometheus.write.v2.Request", nil, .v2),
        ("application/x-protobuf;charset=utf-8;proto=io.prometheus.write.v2.Request", "", .v2),
        // Go's strings.Split keeps the space: " proto" is another parameter, so 1.0.
        ("application/x-protobuf; proto=io.prometheus.write.v2.Request", "snappy", .v1),
    ] as [(String?, String?, RemoteWriteVersion)])
    func accepted(contentType: String?, encoding: String?, version: RemoteWriteVersion) throws {
        #expect(try RemoteWriteProtocol.negotiate(contentType: contentType, contentEncoding: encoding) == version)
    }

    @Test(arguments: [
        ("application/json", "snappy", "expected application/x-protobuf as the first (media) part, got application/json content-type"),
        ("application/x-protobuf;proto=foo.Bar", "snappy",
         "got application/x-protobuf;proto=foo.Bar content type; unknown type for remote write protobuf message foo.Bar, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request"),
        ("application/x-protobuf;proto", "snappy",
         "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got proto in application/x-protobuf;proto content-type"),
        ("application/x-protobuf", "gzip", "gzip encoding (compression) is not accepted by this server; only snappy is acceptable"),
        ("application/json", "zstd", "zstd encoding (compression) is not accepted by this server; only snappy is acceptable"),
    ] as [(String?, String?, String)])
    func refused(contentType: String?, encoding: String?, message: String) {
        #expect(throws: RemoteWriteError(httpStatus: 415, message)) {
            try RemoteWriteProtocol.negotiate(contentType: contentType, contentEncoding: encoding)
        }
    }

    @Test func notAcceptedVersion() {
        #expect(throws: RemoteWriteError(httpStatus: 415, "io.prometheus.write.v2.Request protobuf message is not accepted by this server; only accepts prometheus.WriteRequest")) {
            try RemoteWriteProtocol.negotiate(contentType: RemoteWriteVersion.v2.contentType, contentEncoding: "snappy", accepted: [.v1])
        }
    }

    @Test func headerConstants() throws {
        #expect(RemoteWriteVersion.v1.versionHeaderValue == "0.1.0" && RemoteWriteVersion.v2.versionHeaderValue == "2.0.0")
        #expect(RemoteWriteVersion.v2.contentType == "application/x-protobuf;proto=io.prometheus.write.v2.Request")
        #expect(RemoteWriteProtocol.samplesWrittenHeader == "X-Prometheus-Remote-Write-Samples-Written")
        #expect(RemoteWriteProtocol.histogramsWrittenHeader == "X-Prometheus-Remote-Write-Histograms-Written")
        #expect(RemoteWriteProtocol.exemplarsWrittenHeader == "X-Prometheus-Remote-Write-Exemplars-Written")
        #expect(RemoteWriteProtocol.versionHeader == "X-Prometheus-Remote-Write-Version")
        for v in RemoteWriteVersion.allCases {
            #expect(try RemoteWriteProtocol.negotiate(contentType: v.contentType, contentEncoding: "snappy") == v)
        }
    }

    @Test func decodeBodyLimitsAndErrors() throws {
        let encoded = RemoteWriteV1.encode(Fixtures.batch)
        let body = Snappy.compress(encoded)
        #expect(try RemoteWriteProtocol.decodeBody(body, version: .v1, maxDecompressedBytes: encoded.count) == Fixtures.batch)
        #expect(throws: RemoteWriteError(httpStatus: 413, "decompressed request body of \(encoded.count) bytes exceeds the limit of \(encoded.count - 1) bytes")) {
            try RemoteWriteProtocol.decodeBody(body, version: .v1, maxDecompressedBytes: encoded.count - 1)
        }
        var corrupt = body
        corrupt.removeLast(3)
        do throws(RemoteWriteError) {
            _ = try RemoteWriteProtocol.decodeBody(corrupt, version: .v1, maxDecompressedBytes: 1 << 20)
            Issue.record("corrupt snappy decoded")
        } catch { #expect(error.httpStatus == 400) }
        do throws(RemoteWriteError) {
            _ = try RemoteWriteProtocol.decodeBody([], version: .v1, maxDecompressedBytes: 1 << 20)
            Issue.record("empty body decoded")
        } catch { #expect(error.httpStatus == 400) }
        // A 2.0 body labelled 1.0 holds only fields unknown to 1.0: it decodes to nothing, as
        // in Prometheus (why 2.0 senders check the written-counts response headers).
        let v2 = Snappy.compress(RemoteWriteV2.encode(Fixtures.batch))
        #expect(try RemoteWriteProtocol.decodeBody(v2, version: .v1, maxDecompressedBytes: 1 << 20) == WriteBatch())
    }
}
