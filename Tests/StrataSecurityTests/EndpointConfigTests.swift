import StrataCore
import StrataQuery
import StrataSecurity
import StrataTestSupport
import Testing

/// Thanos's `--endpoint.sd-config` format: per-endpoint TLS, the default client config, the
/// `--grpc-client-tls-*` flags as the last fallback.
struct EndpointConfigTests {
    @Test func perEndpointTLSWithThanosFallbacks() throws {
        guard let certs = try TestCertificates.make(tag: "endpoint-config") else { return }
        let flags = ClientTLSConfig(caFile: certs.caCert)
        let yaml = """
            default_client_config:
              tls_config: {ca_file: \(certs.caCert), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}
            endpoints:
              - address: store:10901
              - address: sidecar:10901
                client_config: {tls_config: {enabled: false}}
              - address: other:10901
                strict: true
                client_config: {server_name: store.example, tls_config: {ca_file: \(certs.otherCACert)}}
            """
        let c = try EndpointConfig.parse(yaml: yaml, name: "e.yml", flagsTLS: flags)
        #expect(c.entries.map(\.address) == ["store:10901", "sidecar:10901", "other:10901"])
        #expect(c.entries[0].tls?.certFile == certs.clientCert)
        #expect(c.entries[1].tls == nil)
        #expect(c.entries[2].tls?.caFile == certs.otherCACert && c.entries[2].tls?.serverName == "store.example")
        // Without a default client config, the flags apply.
        let plain = try EndpointConfig.parse(yaml: "endpoints: [{address: a:1}]", name: "e", flagsTLS: flags)
        #expect(plain.entries[0].tls == flags)
        let none = try EndpointConfig.parse(yaml: "endpoints: [{address: a:1}]", name: "e", flagsTLS: nil)
        #expect(none.entries[0].tls == nil)
    }

    @Test func refusesWhatItCannotHonour() {
        func error(_ yaml: String) -> String {
            do { _ = try EndpointConfig.parse(yaml: yaml, name: "e.yml", flagsTLS: nil); return "" } catch { return "\(error)" }
        }
        #expect(error("endpoints: [{address: a:1, group: true}]").contains("endpoint groups"))
        #expect(error("endpoints: [{address: a:1, client_config: {compression: snappy}}]").contains("compression"))
        #expect(error("endpoints: [{adress: a:1}]").contains("address is required"))
        #expect(error("endpoint: []").contains("unknown field \"endpoint\""))
        #expect(error("endpoints: [{address: a:1, client_config: {tls_config: {ca_file: /nonexistent.pem}}}]").contains("/nonexistent.pem"))
    }
}
