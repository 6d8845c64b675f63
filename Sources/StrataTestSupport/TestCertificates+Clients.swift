import StrataSecurity

extension TestCertificates {
    /// The client TLS configuration a server under test must accept: our CA, a client
    /// certificate it signed.
    public var goodClient: ClientTLSConfig {
        ClientTLSConfig(caFile: caCert, certFile: clientCert, keyFile: clientKey)
    }

    /// Clients an mTLS server must refuse, named for the test's message: no certificate,
    /// an expired one, another CA's, plaintext (nil).
    public var refusedClients: [(name: String, tls: ClientTLSConfig?)] {
        var noCert = goodClient
        noCert.certFile = nil
        noCert.keyFile = nil
        var expired = goodClient
        expired.certFile = expiredCert
        expired.keyFile = expiredKey
        var otherCA = goodClient
        otherCA.certFile = otherClientCert
        otherCA.keyFile = otherClientKey
        return [("no certificate", noCert), ("expired", expired), ("other CA", otherCA), ("plaintext", nil)]
    }
}
