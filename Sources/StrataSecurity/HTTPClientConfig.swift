import Foundation
import StrataCore

/// How a Strata HTTP client authenticates to its server, in Prometheus's
/// `http_client_config` format: the sidecar's client to Prometheus
/// (`--prometheus.http-client-file`) and the frontend's client to queriers
/// (`--query-frontend.downstream-tripper-config-file`, whose Thanos transport fields are
/// accepted too). Secrets read from files are re-read per request, so a rotated token file
/// is used without a restart, as Prometheus does.
public struct HTTPClientConfig: Sendable {
    public enum Auth: Sendable {
        case none
        case basic(user: String, password: Secret)
        case authorization(type: String, credentials: Secret)
    }

    /// A secret value or a file holding it. Never printed.
    public enum Secret: Sendable, CustomStringConvertible {
        case value(String)
        case file(String)

        public func read() throws -> String {
            switch self {
            case .value(let v): return v
            case .file(let f):
                guard let d = FileManager.default.contents(atPath: f), let s = String(data: d, encoding: .utf8) else {
                    throw ConfigError("secret file \(f): cannot read the file")
                }
                return s.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }

        public var description: String {
            switch self {
            case .value: return "<secret>"
            case .file(let f): return "<secret in \(f)>"
            }
        }
    }

    public var auth: Auth = .none
    public var tls: ClientTLSConfig?
    /// Thanos tripper's `response_header_timeout` (ms), when given.
    public var responseHeaderTimeoutMs: Int64?
    public var idleConnTimeoutMs: Int64?

    public init() {}

    public static func load(file: String) throws -> HTTPClientConfig {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("HTTP client config \(file): cannot read the file")
        }
        return try parse(yaml: text, name: file)
    }

    public static func parse(yaml: String, name: String) throws -> HTTPClientConfig {
        var m = try ConfigMap.parse(yaml: yaml, name: name)
        var c = HTTPClientConfig()
        func secret(_ m: inout ConfigMap, _ key: String) throws -> Secret? {
            let v = try m.string(key), f = try m.string(key + "_file")
            if !v.isEmpty && !f.isEmpty { throw ConfigError("\(m.path): at most one of \(key) and \(key)_file") }
            return !v.isEmpty ? .value(v) : !f.isEmpty ? .file(f) : nil
        }
        var basic = try m.map("basic_auth")
        var authz = try m.map("authorization")
        let bearer = try secret(&m, "bearer_token")
        var kinds = 0
        if !basic.keys.isEmpty {
            kinds += 1
            let user = try basic.requiredString("username")
            c.auth = .basic(user: user, password: try secret(&basic, "password") ?? .value(""))
            try basic.rejectUnknown()
        }
        if !authz.keys.isEmpty {
            kinds += 1
            let type = try authz.string("type", default: "Bearer")
            guard let cred = try secret(&authz, "credentials") else { throw ConfigError("\(authz.path): credentials or credentials_file is required") }
            c.auth = .authorization(type: type, credentials: cred)
            try authz.rejectUnknown()
        }
        if let bearer {
            kinds += 1
            c.auth = .authorization(type: "Bearer", credentials: bearer)
        }
        if kinds > 1 { throw ConfigError("\(name): at most one of basic_auth, authorization and bearer_token") }
        var tls = try m.map("tls_config")
        if !tls.keys.isEmpty { c.tls = try ClientTLSConfig.parse(&tls) }
        _ = try m.bool("follow_redirects", default: true)
        _ = try m.bool("enable_http2", default: true)
        for k in ["proxy_url", "oauth2"] where m.has(k) {
            throw ConfigError("\(name): \(k) is not supported by Strata")
        }
        // Thanos's downstream tripper fields.
        if m.has("response_header_timeout") { c.responseHeaderTimeoutMs = try m.duration("response_header_timeout", default: 0) }
        if m.has("idle_conn_timeout") { c.idleConnTimeoutMs = try m.duration("idle_conn_timeout", default: 0) }
        for k in ["tls_handshake_timeout", "expect_continue_timeout"] { _ = try m.duration(k, default: 0) }
        for k in ["max_idle_conns", "max_idle_conns_per_host", "max_conns_per_host"] { _ = try m.int(k, default: 0) }
        try m.rejectUnknown()
        if case .basic(_, .file(let f)) = c.auth { _ = try Secret.file(f).read() }
        if case .authorization(_, .file(let f)) = c.auth { _ = try Secret.file(f).read() }
        return c
    }

    /// The `Authorization` header value for the next request (files re-read), nil without auth.
    public func authorizationHeader() throws -> String? {
        switch auth {
        case .none: return nil
        case .basic(let user, let password):
            return "Basic " + Data((user + ":" + (try password.read())).utf8).base64EncodedString()
        case .authorization(let type, let credentials):
            return type + " " + (try credentials.read())
        }
    }
}
