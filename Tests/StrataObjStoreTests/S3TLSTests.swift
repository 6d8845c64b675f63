import Foundation
import StrataCore
@testable import StrataObjStore
import StrataTestSupport
import Testing

/// S3 over HTTPS with a private CA: moto serving our openssl-made certificate, Strata trusting
/// it through `http_config.tls_config.ca_file` (and `server_name`), refusing it without, and
/// a clear error for a bad CA file — the objstore.yml a user writes, parsed as Thanos's.
@Suite(.serialized) struct S3TLSTests {
    static func bucket(port: Int, tls: String) throws -> S3Bucket {
        let yaml = """
            type: S3
            config:
              bucket: tls
              endpoint: "127.0.0.1:\(port)"
              access_key: k
              secret_key: s
              bucket_lookup_type: path
              http_config:
                tls_handshake_timeout: 5s
                response_header_timeout: 20s
            \(tls)
            """
        guard case .s3(let c) = try ObjStoreConfig.parse(yaml: yaml).provider else { throw TestError("not S3") }
        return try S3Bucket(config: c, retry: .init(maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 50, giveUpWhenUnreachable: true))
    }

    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(2)))
    func privateCAIsTrustedOnlyWhenConfigured() async throws {
        guard let certs = try TestCertificates.make(tag: "s3-tls") else { return }
        try await withMotoTLS(certs) { port in
            let trusted = try Self.bucket(port: port, tls: """
                    tls_config:
                      ca_file: \(certs.caCert)
                      server_name: localhost
                """)
            _ = try await trusted.send("create_bucket", key: "", S3Request(method: "PUT", key: nil), accept: [200])
            try await trusted.put("a/b", bytes: Array("over TLS".utf8))
            #expect(try await trusted.getBytes("a/b") == Array("over TLS".utf8))
            try await trusted.close()

            // The IP SAN is checked when no server_name is given.
            let byIP = try Self.bucket(port: port, tls: "    tls_config: {ca_file: \(certs.caCert)}")
            #expect(try await byIP.getBytes("a/b") == Array("over TLS".utf8))
            try await byIP.close()

            // Not trusted: the system roots do not know our CA.
            let untrusted = try Self.bucket(port: port, tls: "")
            await #expect(throws: (any Error).self) { _ = try await untrusted.getBytes("a/b") }
            try await untrusted.close()

            // (A wrong server_name is not tested here: the certificate also names 127.0.0.1, and
            // BoringSSL via swift-nio-ssl accepts an IP SAN matching the connected address
            // whatever name was asked for.)

            let skip = try Self.bucket(port: port, tls: "    insecure_skip_verify: true")
            #expect(try await skip.getBytes("a/b") == Array("over TLS".utf8))
            try await skip.close()
        }
    }

    @Test func badTLSSettingsAreClearErrorsAtStart() throws {
        func message(_ tls: String) -> String {
            do { _ = try Self.bucket(port: 1, tls: tls); return "" } catch { return "\(error)" }
        }
        let missing = message("    tls_config: {ca_file: /nonexistent/ca.pem}")
        #expect(missing.contains("/nonexistent/ca.pem"), "\(missing)")
        let unknown = message("    tls_config: {ca_fil: /x}")
        #expect(unknown.contains("unknown field") && unknown.contains("ca_fil"), "\(unknown)")
        let half = message("    tls_config: {cert_file: /x}")
        #expect(half.contains("cert_file and key_file"), "\(half)")
    }

    func withMotoTLS(_ certs: TestCertificates, _ body: (Int) async throws -> Void) async throws {
        let moto = try await MotoServer.start(extraArgs: ["-s", "-c", certs.serverCert, "-k", certs.serverKey])
        defer { moto.stop() }
        try await body(moto.port)
    }
}
