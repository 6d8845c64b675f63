import Foundation
import StrataBucket
import StrataCore
@testable import StrataObjStore
import StrataTSDB
import StrataTestSupport
import Testing

/// The system locked down as an operator would run it, every component a real process:
/// Prometheus behind basic auth (its own web config) with strata-sidecar reaching it through
/// `--prometheus.http-client-file`; strata-store over moto S3 serving its Store API with mTLS;
/// strata-query dialling the store and the sidecar with mTLS from one
/// `--endpoint.sd-config-file`, its HTTP API behind TLS and bcrypt basic auth
/// (`--http.config`); strata-frontend reaching that querier with TLS and credentials. Every
/// secret is recognisable, and no log line or HTTP answer may contain one.
@Suite(.serialized) struct SecureStackTests {
    static let promPassword = "prom-PW-7f3a9c21"
    static let opsPassword = "ops-PW-51be90d4"
    static let s3Secret = "s3-SECRET-c0ffee42"

    /// (status, body) of a curl request; `user` as `name:password`.
    static func curl(_ url: String, user: String? = nil, ca: String? = nil, headers: Bool = false) throws -> (Int, String) {
        var args = ["-s", "--max-time", "20", "-w", "\n%{http_code}"]
        if headers { args.append("-i") }
        if let user { args += ["-u", user] }
        if let ca { args += ["--cacert", ca] }
        let r = try TestEnv.run("/usr/bin/curl", args + [url], timeout: 30)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    static func bcrypt(_ password: String) throws -> String {
        // Python's bcrypt, not ours: the hash comes from an independent implementation.
        let r = try TestEnv.run("/usr/bin/env", ["python3", "-c", "import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())", password])
        guard r.status == 0 else { throw MissingComponent(description: "python3 bcrypt: \(r.stderr) (pip install bcrypt)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.timeLimit(.minutes(5))) func lockedDownStackAnswersOnlyWithCredentialsAndLeaksNoSecret() async throws {
        guard let certs = try TestCertificates.make(tag: "secure-stack") else { return }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        guard let moto = try await CacheServer.start("moto_server", hint: "pip install 'moto[server]'", args: { ["-H", "127.0.0.1", "-p", "\($0)"] }) else { return }
        stack.moto = moto
        let dir = TestEnv.tempDir("secure-stack")
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            return dir + "/" + name
        }

        // The store's block, uploaded to moto with the S3 secret.
        var s3Config = S3Config(bucket: "secure", endpoint: "127.0.0.1:\(moto.port)")
        s3Config.accessKey = "AKIDSECURESTACK"
        s3Config.secretKey = Self.s3Secret
        s3Config.insecure = true
        s3Config.lookupType = .path
        let s3 = try S3Bucket(config: s3Config)
        _ = try await s3.send("create_bucket", key: "", S3Request(method: "PUT", key: nil), accept: [200])
        let blocks = try TestEnv.promBlocks()
        _ = try await BlockUploader(bucket: s3).upload(blockDir: blocks[0], externalLabels: ["cluster": "c1", "source": "bucket"], source: "sidecar")
        try await s3.close()
        let objstore = try write("objstore.yml", """
            type: S3
            config: {bucket: secure, endpoint: "127.0.0.1:\(moto.port)", insecure: true, bucket_lookup_type: path, access_key: AKIDSECURESTACK, secret_key: \(Self.s3Secret)}
            """)

        // Prometheus behind basic auth; the sidecar authenticates with a password file.
        let promWeb = try write("prom-web.yml", "basic_auth_users:\n  prom: \(try Self.bcrypt(Self.promPassword))\n")
        guard let prom = try PrometheusServer.start(blocks: [blocks[1]], externalLabels: ["cluster": "c1", "replica": "a"], webConfig: promWeb) else { return }
        stack.servers = [prom]
        let passwordFile = try write("prom-password", Self.promPassword + "\n")
        let promClient = try write("prom-client.yml", "basic_auth: {username: prom, password_file: \(passwordFile)}\n")
        let sidecarGRPC = "127.0.0.1:\(try freePort())"
        _ = try stack.start("strata-sidecar", ["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url,
                                                              "--prometheus.http-client-file", promClient, "--grpc-address", sidecarGRPC,
                                                              "--http-address", "127.0.0.1:\(try freePort())",
                                                              "--grpc-server-tls-cert", certs.serverCert, "--grpc-server-tls-key", certs.serverKey,
                                                              "--grpc-server-tls-client-ca", certs.caCert])

        // The store: Store API with mTLS, HTTP behind basic auth.
        let opsHash = try Self.bcrypt(Self.opsPassword)
        let web = try write("web.yml", """
            tls_server_config: {cert_file: \(certs.serverCert), key_file: \(certs.serverKey)}
            http_server_config: {headers: {X-Frame-Options: deny}}
            basic_auth_users: {ops: \(opsHash)}
            """)
        let storeGRPC = "127.0.0.1:\(try freePort())"
        let storeHTTP = try freePort()
        _ = try stack.start("strata-store", ["--objstore.config-file", objstore, "--data-dir", dir + "/store",
                                                            "--grpc-address", storeGRPC, "--http-address", "127.0.0.1:\(storeHTTP)",
                                                            "--grpc-server-tls-cert", certs.serverCert, "--grpc-server-tls-key", certs.serverKey,
                                                            "--grpc-server-tls-client-ca", certs.caCert, "--http.config", web])

        // The querier: mTLS to the store and the sidecar (the default client config), HTTPS +
        // basic auth itself. (TLS and plaintext endpoints mixed: DNSDiscoveryProcessTests.)
        let endpoints = try write("endpoints.yml", """
            default_client_config:
              tls_config: {ca_file: \(certs.caCert), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}
            endpoints:
              - address: \(storeGRPC)
              - address: \(sidecarGRPC)
            """)
        let queryHTTP = try freePort()
        let queryGRPC = try freePort()
        _ = try stack.start("strata-query", ["--endpoint.sd-config-file", endpoints, "--http-address", "127.0.0.1:\(queryHTTP)",
                                                            "--grpc-address", "127.0.0.1:\(queryGRPC)", "--http.config", web,
                                                            "--grpc-server-tls-cert", certs.serverCert, "--grpc-server-tls-key", certs.serverKey,
                                                            "--grpc-server-tls-client-ca", certs.caCert,
                                                            "--store.sd-interval", "1s"])
        let frontendHTTP = try freePort()
        let tripper = try write("tripper.yml", "basic_auth: {username: ops, password: \(Self.opsPassword)}\ntls_config: {ca_file: \(certs.caCert)}\n")
        _ = try stack.start("strata-frontend", ["--query-frontend.downstream-url", "https://localhost:\(queryHTTP)",
                                                               "--query-frontend.downstream-tripper-config-file", tripper,
                                                               "--http-address", "127.0.0.1:\(frontendHTTP)", "--data-dir", dir + "/frontend",
                                                               "--http.config", web])

        let q = "https://localhost:\(queryHTTP)"
        let ops = "ops:\(Self.opsPassword)"
        var answers: [String] = []
        // Both endpoints healthy: mTLS to the store and to the sidecar.
        let healthy = try await waitForAsync(60) {
            let (status, body) = try Self.curl(q + "/api/v1/stores", user: ops, ca: certs.caCert)
            return status == 200 && body.components(separatedBy: "\"healthy\":true").count - 1 >= 2
        }
        let stores = try Self.curl(q + "/api/v1/stores", user: ops, ca: certs.caCert)
        answers.append(stores.1)
        #expect(healthy, "stores: \(stores.1)\n\(stack.logs().suffix(3000))")

        // Credentials: none or wrong → 401 for the API and /metrics; right → 200.
        for path in ["/api/v1/labels", "/metrics", "/-/ready"] {
            #expect(try Self.curl(q + path, ca: certs.caCert).0 == 401, "\(path) without credentials")
            #expect(try Self.curl(q + path, user: "ops:wrong", ca: certs.caCert).0 == 401, "\(path) with a wrong password")
            #expect(try Self.curl(q + path, user: "nobody:\(Self.opsPassword)", ca: certs.caCert).0 == 401, "\(path) as an unknown user")
            let ok = try Self.curl(q + path, user: ops, ca: certs.caCert, headers: true)
            #expect(ok.0 == 200, "\(path): \(ok.1.prefix(300))")
            #expect(ok.1.lowercased().contains("x-frame-options: deny"), "\(path) lacks the configured header")
            answers.append(ok.1)
        }
        // Plain HTTP to a TLS port is refused; the store's HTTP port is locked the same way.
        #expect(try Self.curl("http://127.0.0.1:\(queryHTTP)/api/v1/labels", user: ops).0 != 200)
        #expect(try Self.curl("https://localhost:\(storeHTTP)/metrics", ca: certs.caCert).0 == 401)
        let storeMetrics = try Self.curl("https://localhost:\(storeHTTP)/metrics", user: ops, ca: certs.caCert)
        #expect(storeMetrics.0 == 200)
        answers.append(storeMetrics.1)

        // Data from both endpoints through the frontend (TLS + basic auth to the querier).
        let f = "https://localhost:\(frontendHTTP)"
        #expect(try Self.curl(f + "/api/v1/labels", ca: certs.caCert).0 == 401)
        let values = try Self.curl(f + "/api/v1/label/cluster/values?start=1699999200&end=1700020800", user: ops, ca: certs.caCert)
        answers.append(values.1)
        #expect(values.0 == 200 && values.1.contains("c1"), "\(values)")
        let sources = try Self.curl(f + "/api/v1/query?query=" + "count%20by%20(source)%20(%7B__name__%3D~%22.%2B%22%7D)&time=1700006000", user: ops, ca: certs.caCert)
        answers.append(sources.1)
        #expect(sources.0 == 200 && sources.1.contains("\"bucket\""), "\(sources)")
        let sidecarData = try Self.curl(f + "/api/v1/query?query=" + "count%20by%20(replica)%20(%7B__name__%3D~%22.%2B%22%7D)&time=1700010000", user: ops, ca: certs.caCert)
        answers.append(sidecarData.1)
        #expect(sidecarData.0 == 200 && sidecarData.1.contains("\"a\""), "sidecar data through Prometheus's basic auth: \(sidecarData)")
        // The querier's Series calls took Strata's wire, over the same mTLS as gRPC.
        let wireCalls = try Self.curl("https://localhost:\(storeHTTP)/metrics", user: ops, ca: certs.caCert).1
            .split(separator: "\n").first { $0.hasPrefix("strata_wire_server_calls_total ") }
        #expect(wireCalls.map { !$0.hasSuffix(" 0") } == true, "the store served no wire call: \(wireCalls ?? "no counter")")
        #expect(!stack.logs().contains("Strata wire"), "wire warnings: \(stack.logs().suffix(2000))")

        // The querier's own Store API (for stacked queriers) is served with mTLS too: an
        // independent client (Python grpcio) with the right certificate is answered, one
        // without a certificate is not.
        if let python = try PythonGRPC.interpreter() {
            let ok = try PythonGRPC.info(python: python, port: queryGRPC, ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey)
            #expect(ok.status == 0 && ok.stdout.contains("min_time"), "querier Info over mTLS: \(ok.stderr)")
            let refused = try PythonGRPC.info(python: python, port: queryGRPC, ca: certs.caCert, cert: nil, key: nil)
            #expect(refused.status != 0, "the querier's Store API answered a client without a certificate: \(refused.stdout)")
        }

        // A client without a certificate is refused, counted and logged by the store.
        _ = try TestEnv.run("/bin/sh", ["-c", "openssl s_client -connect \(storeGRPC) -CAfile \(certs.caCert) </dev/null >/dev/null 2>&1"], timeout: 30)
        let counted = try await waitForAsync(10) {
            let m = try Self.curl("https://localhost:\(storeHTTP)/metrics", user: ops, ca: certs.caCert).1
            return m.split(separator: "\n").contains { $0.hasPrefix("strata_grpc_server_tls_handshake_failures_total ") && !$0.hasSuffix(" 0") }
        }
        #expect(counted, "the refused handshake was not counted")

        // No secret anywhere: logs of every process, every answer above.
        stack.stop()
        let keyLine = try String(contentsOfFile: certs.serverKey, encoding: .utf8).split(separator: "\n")[1]
        let everything = stack.logs() + "\n" + answers.joined(separator: "\n")
        for secret in [Self.promPassword, Self.opsPassword, Self.s3Secret, String(keyLine), "PRIVATE KEY"] {
            #expect(!everything.contains(secret), "a secret leaked: \(secret.prefix(12))…")
        }
    }

    @Test(.timeLimit(.minutes(1))) func httpClientCertificatesAreRequiredWhenConfigured() async throws {
        guard let certs = try TestCertificates.make(tag: "https-mtls") else { return }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let web = TestEnv.tempDir("https-mtls") + "/web.yml"
        try """
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
              client_ca_file: \(certs.caCert)
              client_auth_type: RequireAndVerifyClientCert
            """.write(toFile: web, atomically: true, encoding: .utf8)
        let port = try freePort()
        _ = try stack.start("strata-compact", ["--objstore.config", "type: FILESYSTEM\nconfig: {directory: \(TestEnv.tempDir("https-bucket"))}",
                                               "--data-dir", TestEnv.tempDir("https-compact"), "--wait", "--wait-interval", "1h",
                                               "--http-address", "127.0.0.1:\(port)", "--http.config", web])
        func status(_ extra: [String]) throws -> String {
            try TestEnv.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", certs.caCert]
                            + extra + ["https://localhost:\(port)/-/healthy"], timeout: 20).stdout
        }
        let up = try await waitForAsync(30) { try status(["--cert", certs.clientCert, "--key", certs.clientKey]) == "200" }
        #expect(up, "\(stack.logs())")
        #expect(try status([]) == "000", "no client certificate")
        #expect(try status(["--cert", certs.expiredCert, "--key", certs.expiredKey]) == "000", "expired client certificate")
        #expect(try status(["--cert", certs.otherClientCert, "--key", certs.otherClientKey]) == "000", "client certificate of another CA")
    }

    @Test(.timeLimit(.minutes(1))) func badWebConfigStopsTheServiceWithAClearError() throws {
        let dir = TestEnv.tempDir("bad-web")
        let cases: [(String, String, String)] = [
            ("plaintext", "basic_auth_users: {ops: hunter2-plain}\n", "not a bcrypt hash"),
            ("unknown", "basic_auth_user: {ops: x}\n", "unknown field \"basic_auth_user\""),
            ("header", "http_server_config: {headers: {X-Powered-By: strata}}\n", "header not allowed"),
            ("missing-cert", "tls_server_config: {cert_file: /nonexistent.crt, key_file: /nonexistent.key}\n", "/nonexistent.crt"),
        ]
        for (name, yaml, expected) in cases {
            let file = dir + "/\(name).yml"
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try TestEnv.run(TestEnv.binary("strata-query"), ["--endpoint", "127.0.0.1:1", "--http.config", file,
                                                                    "--http-address", "127.0.0.1:\(try freePort())",
                                                                    "--grpc-address", "127.0.0.1:\(try freePort())"], timeout: 20)
            #expect(r.status != 0, "\(name): started")
            #expect(r.stderr.contains(expected) && r.stderr.contains(file), "\(name): \(r.stderr)")
            #expect(!r.stderr.contains("hunter2-plain"), "the plaintext password was printed")
        }
    }
}
