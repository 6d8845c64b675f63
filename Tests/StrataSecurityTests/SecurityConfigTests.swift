import Foundation
import StrataCore
@testable import StrataSecurity
import StrataTestSupport
import Testing

/// The security configuration formats as Prometheus and Thanos write them, and bcrypt checks
/// against hashes made by independent implementations (Python's bcrypt for `$2a$`/`$2b$`;
/// `$2y$` is htpasswd's name for the same algorithm).
struct SecurityConfigTests {
    /// A hash of "x" made by Python's bcrypt (cost 4), fixed here so the test needs no Python.
    static let hash2a = "$2a$04$X1py9SP47qRx/vamMl03BOVwz0n6wcRZq6dt6shyJ26ng9NuNyU2i"  // of "x"

    @Test func bcryptReadsEveryVariant() throws {
        #expect(Bcrypt.verify(password: "x", hash: Self.hash2a))
        #expect(!Bcrypt.verify(password: "y", hash: Self.hash2a))
        #expect(!Bcrypt.verify(password: "x", hash: "x"))
        // The deploy example's hash is of "change-me".
        let web = try WebConfig.parse(yaml: try String(contentsOfFile: TestEnv.root + "/deploy/config/web.yml", encoding: .utf8), name: "web.yml")
        let hash = try #require(web.users["grafana"])
        #expect(Bcrypt.verify(password: "change-me", hash: hash))
        // $2y$ (htpasswd) is the $2b$ algorithm under another name.
        #expect(Bcrypt.verify(password: "change-me", hash: "$2y$" + hash.dropFirst(4)))
        #expect(web.tls?.minVersion == .tlsv12 && web.headers.count == 2)
        #expect(Bcrypt.isHash(BasicAuthUsers.decoy))
    }

    @Test func basicAuthUsersCheckAndCache() async throws {
        let users = BasicAuthUsers(users: ["ops": Self.hash2a])
        #expect(await users.check(user: "ops", password: "x"))
        #expect(await users.check(user: "ops", password: "x"))  // cached
        #expect(!(await users.check(user: "ops", password: "X")))
        #expect(!(await users.check(user: "nobody", password: "x")))
    }

    @Test func webConfigRejectsWhatPrometheusRejects() throws {
        func error(_ yaml: String) -> String {
            do { _ = try WebConfig.parse(yaml: yaml, name: "w.yml"); return "" } catch { return "\(error)" }
        }
        #expect(error("basic_auth_users: {a: hunter2}").contains("not a bcrypt hash"))
        #expect(!error("basic_auth_users: {a: hunter2}").contains("hunter2"))
        #expect(error("tls_server_config: {cert_file: a, key_file: b, ciphers: x}").contains("unknown field \"ciphers\""))
        #expect(error("tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}").contains("client_auth_type is NoClientCert"))
        #expect(error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAnyClientCert, client_ca_file: c}").contains("not supported"))
        #expect(error("http_server_config: {headers: {X-Frame-Options: allow}}").contains("invalid value"))
        #expect(error("tls_server_config: {key_file: b}").contains("cert_file is required"))
        let ok = try WebConfig.parse(yaml: "tls_server_config: {cert_file: a, key_file: b, client_ca_file: c, client_auth_type: RequireAndVerifyClientCert, min_version: TLS13}", name: "w")
        #expect(ok.tls?.clientAuth == .requireAndVerify && ok.tls?.minVersion == .tlsv13)
    }

    @Test func httpClientConfigInPrometheusFormat() throws {
        let dir = TestEnv.tempDir("http-client")
        try "tok-123\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let bearer = try HTTPClientConfig.parse(yaml: "bearer_token_file: \(dir)/token", name: "c")
        #expect(try bearer.authorizationHeader() == "Bearer tok-123")
        // A rotated token file is read on the next request.
        try "tok-456\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        #expect(try bearer.authorizationHeader() == "Bearer tok-456")
        let basic = try HTTPClientConfig.parse(yaml: "basic_auth: {username: u, password: p}", name: "c")
        #expect(try basic.authorizationHeader() == "Basic " + Data("u:p".utf8).base64EncodedString())
        let authz = try HTTPClientConfig.parse(yaml: "authorization: {type: Token, credentials: abc}", name: "c")
        #expect(try authz.authorizationHeader() == "Token abc")
        // Thanos's tripper fields are accepted; timeouts are kept.
        let tripper = try HTTPClientConfig.parse(yaml: "idle_conn_timeout: 1m\nmax_idle_conns: 10\nresponse_header_timeout: 2m", name: "c")
        #expect(tripper.idleConnTimeoutMs == 60_000 && tripper.responseHeaderTimeoutMs == 120_000)
        func error(_ yaml: String) -> String {
            do { _ = try HTTPClientConfig.parse(yaml: yaml, name: "c.yml"); return "" } catch { return "\(error)" }
        }
        #expect(error("basic_auth: {username: u, password: p}\nbearer_token: t").contains("at most one"))
        #expect(error("bearer_token_file: /nonexistent/token").contains("/nonexistent/token"))
        #expect(error("oauth2: {client_id: x}").contains("not supported"))
        #expect(error("basic_auth: {username: u, pasword: p}").contains("unknown field \"pasword\""))
        // Secrets never show in a description.
        #expect(!"\(basic)".contains("p)") && !"\(bearer)".contains("tok-"))
    }
}
