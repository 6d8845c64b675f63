import Foundation
import StrataCore

/// Prometheus's web configuration file (`--http.config`, the exporter-toolkit format): TLS
/// for the HTTP server, basic-auth users with bcrypt hashes, and response headers. Like
/// Prometheus, anything it does not understand is an error at start — a misspelt field in
/// a security config must not silently leave a port open.
public struct WebConfig: Sendable {
    public var tls: ServerTLSConfig?
    public var http2 = true
    public var headers: [(name: String, value: String)] = []
    public var users: [String: String] = [:]

    public init() {}

    /// Headers the exporter-toolkit lets an operator set, with their allowed values.
    static let allowedHeaders: [String: Set<String>?] = [
        "strict-transport-security": nil, "x-content-type-options": ["nosniff"],
        "x-frame-options": ["deny", "sameorigin"], "x-xss-protection": nil, "content-security-policy": nil,
    ]

    public static func load(file: String) throws -> WebConfig {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("web config \(file): cannot read the file")
        }
        do {
            let c = try parse(yaml: text, name: file)
            // Certificate files are read now, so a bad one stops the service naming both files.
            if let tls = c.tls {
                _ = try PEMFiles.certifiedKey(certFile: tls.certFile, keyFile: tls.keyFile)
                if let ca = tls.clientCAFile { _ = try PEMFiles.certificates(ca, what: "client CA") }
            }
            return c
        } catch let e as ConfigError where !e.description.contains(file) {
            throw ConfigError("web config \(file): \(e.description)")
        }
    }

    public static func parse(yaml: String, name: String) throws -> WebConfig {
        var top = try ConfigMap.parse(yaml: yaml, name: name)
        var c = WebConfig()
        var tls = try top.map("tls_server_config")
        if !tls.keys.isEmpty { c.tls = try parseTLS(&tls) }
        var http = try top.map("http_server_config")
        c.http2 = try http.bool("http2", default: true)
        var headers = try http.map("headers")
        for key in headers.keys {
            let value = try headers.string(key)
            guard let allowed = allowedHeaders[key.lowercased()] else {
                throw ConfigError("\(headers.path).\(key): header not allowed (\(allowedHeaders.keys.sorted().joined(separator: ", ")))")
            }
            if let allowed, !allowed.contains(value.lowercased()) {
                throw ConfigError("\(headers.path).\(key): invalid value \"\(value)\" (\(allowed.sorted().joined(separator: " or ")))")
            }
            c.headers.append((key, value))
        }
        try http.rejectUnknown()
        var users = try top.map("basic_auth_users")
        for user in users.keys {
            let hash = try users.string(user)
            // The value is never printed: it may be a password typed where the hash belongs.
            guard Bcrypt.isHash(hash) else {
                throw ConfigError("\(name): basic_auth_users.\(user) is not a bcrypt hash (plaintext passwords are refused; "
                                  + "make one with `htpasswd -nbBC 10 \"\" <password> | tr -d ':\\n'`)")
            }
            c.users[user] = hash
        }
        try top.rejectUnknown()
        return c
    }

    static func parseTLS(_ m: inout ConfigMap) throws -> ServerTLSConfig {
        for k in ["cert", "key", "client_ca"] where m.has(k) {
            throw ConfigError("\(m.path).\(k): inline PEM is not supported, use \(k)_file")
        }
        let cert = try m.requiredString("cert_file")
        let key = try m.requiredString("key_file")
        let ca = try m.string("client_ca_file")
        let authName = try m.string("client_auth_type")
        var auth: ServerTLSConfig.ClientAuth?
        if !authName.isEmpty {
            guard let a = ServerTLSConfig.ClientAuth(rawValue: authName) else {
                throw ConfigError("\(m.path).client_auth_type \"\(authName)\" is not supported (NoClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)")
            }
            auth = a
        }
        if !ca.isEmpty && (auth ?? .none) == .none {
            // Prometheus's rule: a CA without a policy is a mistake, not "no client certs".
            throw ConfigError("\(m.path): client_ca_file is set but client_auth_type is NoClientCert")
        }
        var c = ServerTLSConfig(certFile: cert, keyFile: key, clientCAFile: ca.isEmpty ? nil : ca, clientAuth: auth ?? .none)
        let minV = try m.string("min_version")
        if !minV.isEmpty { c.minVersion = try TLSVersionName.parse(minV) }
        let maxV = try m.string("max_version")
        if !maxV.isEmpty { c.maxVersion = try TLSVersionName.parse(maxV) }
        _ = try m.bool("prefer_server_cipher_suites")
        for k in ["cipher_suites", "curve_preferences", "client_allowed_sans"] where !(try m.strings(k)).isEmpty {
            throw ConfigError("\(m.path).\(k) is not supported by Strata (BoringSSL's defaults apply)")
        }
        try m.rejectUnknown()
        return c
    }
}
