import Foundation

/// Certificates made with the real `openssl` for TLS tests: a CA, a server certificate for
/// localhost/127.0.0.1, a client certificate, an expired client certificate (signed by the CA
/// with `openssl ca` and dates in 2020), and a client certificate from another CA. Each
/// `make` call writes a fresh set into its own directory.
public struct TestCertificates: Sendable {
    public let dir: String
    public var caCert: String { dir + "/ca.crt" }
    public var serverCert: String { dir + "/server.crt" }
    public var serverKey: String { dir + "/server.key" }
    public var clientCert: String { dir + "/client.crt" }
    public var clientKey: String { dir + "/client.key" }
    public var expiredCert: String { dir + "/expired.crt" }
    public var expiredKey: String { dir + "/expired.key" }
    public var otherCACert: String { dir + "/other-ca.crt" }
    public var otherClientCert: String { dir + "/other-client.crt" }
    public var otherClientKey: String { dir + "/other-client.key" }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    /// nil when openssl is missing outside CI (a failure under `CI=true`).
    public static func make(tag: String = "certs") throws -> TestCertificates? {
        guard try TestEnv.require("openssl", hint: "apt-get install openssl") != nil else { return nil }
        let c = TestCertificates(dir: TestEnv.tempDir(tag))
        let run = openssl
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: c.dir + "/ext.cnf", atomically: true, encoding: .utf8)
        for (ca, name) in [("ca", "Strata Test CA"), ("other-ca", "Other CA")] {
            try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3", "-subj", "/CN=\(name)",
                     "-keyout", "\(c.dir)/\(ca).key", "-out", "\(c.dir)/\(ca).crt"])
        }
        try c.sign("server", cn: "localhost", ca: "ca")
        try c.sign("client", cn: "strata-query", ca: "ca")
        try c.sign("other-client", cn: "intruder", ca: "other-ca")
        // Expired: `openssl ca` takes explicit dates (OpenSSL 3.0's `x509 -req` does not).
        try run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=expired", "-keyout", c.expiredKey, "-out", c.dir + "/expired.csr"])
        try FileManager.default.createDirectory(atPath: c.dir + "/db", withIntermediateDirectories: true)
        try "".write(toFile: c.dir + "/db/index.txt", atomically: true, encoding: .utf8)
        try "1000\n".write(toFile: c.dir + "/db/serial", atomically: true, encoding: .utf8)
        try """
            [ca]
            default_ca = test
            [test]
            dir = \(c.dir)/db
            database = $dir/index.txt
            serial = $dir/serial
            new_certs_dir = $dir
            default_md = sha256
            policy = any
            x509_extensions = ext
            [any]
            commonName = supplied
            [ext]
            subjectAltName = DNS:localhost,IP:127.0.0.1
            extendedKeyUsage = serverAuth,clientAuth
            """.write(toFile: c.dir + "/ca.cnf", atomically: true, encoding: .utf8)
        try run(["ca", "-batch", "-config", c.dir + "/ca.cnf", "-cert", c.caCert, "-keyfile", c.dir + "/ca.key",
                 "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-in", c.dir + "/expired.csr", "-out", c.expiredCert])
        return c
    }

    /// Runs openssl with `args`; a failure throws with its stderr.
    static func openssl(_ args: [String]) throws {
        let r = try TestEnv.run(TestEnv.which("openssl") ?? "/usr/bin/openssl", args, timeout: 60)
        if r.status != 0 { throw Failure(description: "openssl \(args.prefix(2).joined(separator: " ")): \(r.stderr)") }
    }

    /// A key and a certificate `name` signed by `ca`, valid for localhost and 127.0.0.1.
    func sign(_ name: String, cn: String, ca: String) throws {
        let run = Self.openssl
        try run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(cn)", "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr"])
        try run(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/\(ca).crt", "-CAkey", "\(dir)/\(ca).key",
                 "-CAcreateserial", "-days", "3", "-extfile", "\(dir)/ext.cnf", "-out", "\(dir)/\(name).crt"])
    }

    /// A new server certificate and key (a rotation), written over the served files the way
    /// a secret update does it: to a temporary name, then renamed. Returns the new serial.
    public func rotateServer() throws -> String {
        try sign("rotated", cn: "localhost", ca: "ca")
        try FileManager.default.removeItem(atPath: serverKey)
        try FileManager.default.moveItem(atPath: dir + "/rotated.key", toPath: serverKey)
        try FileManager.default.removeItem(atPath: serverCert)
        try FileManager.default.moveItem(atPath: dir + "/rotated.crt", toPath: serverCert)
        return try serial(serverCert)
    }

    /// The serial number of a certificate file, as `openssl x509 -serial` prints it.
    public func serial(_ cert: String) throws -> String {
        let r = try TestEnv.run(TestEnv.which("openssl") ?? "openssl", ["x509", "-noout", "-serial", "-in", cert])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
    }

    /// The serial of the certificate a TLS server on `port` presents (openssl s_client, with
    /// the client certificate so mTLS servers finish the handshake).
    public func servedSerial(port: Int) throws -> String {
        try shell("openssl s_client -connect 127.0.0.1:\(port) -CAfile \(caCert) -cert \(clientCert) -key \(clientKey) </dev/null 2>/dev/null | openssl x509 -noout -serial")
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
    }

    /// What `openssl s_client` says about a handshake with 127.0.0.1:`port` (stdout and
    /// stderr), presenting the client certificate; `options` e.g. `-tls1_2`.
    public func handshake(port: Int, options: String) throws -> String {
        try shell("openssl s_client \(options) -connect 127.0.0.1:\(port) -CAfile \(caCert) -cert \(clientCert) -key \(clientKey) </dev/null")
    }

    /// Runs a shell command whose output the shell itself writes to a file. (Now and then,
    /// while a TLS server in the same test process handled the child's connection, the child
    /// left no output at all — as if it never ran — through Foundation's Process here.)
    func shell(_ command: String) throws -> String {
        // Up to 5 attempts while nothing at all comes back (the child did not run).
        for _ in 0..<5 {
            let out = TestEnv.tempDir("sh") + ".out"
            _ = try TestEnv.run("/bin/sh", ["-c", "(\(command)) > \(out) 2>&1"], timeout: 30)
            defer { try? FileManager.default.removeItem(atPath: out) }
            if let text = try? String(contentsOfFile: out, encoding: .utf8), !text.isEmpty { return text }
        }
        return ""
    }
}
