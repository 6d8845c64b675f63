import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import StrataSecurity

/// What `--http.config` asks of every request: credentials of a `basic_auth_users` user when
/// there are users (401 with `WWW-Authenticate` otherwise, as Prometheus answers), and the
/// configured response headers on every answer. It sits in front of every route — `/metrics`
/// and the health endpoints included, as in Prometheus.
struct WebSecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let users: BasicAuthUsers
    let headers: [(name: HTTPField.Name, value: String)]

    init(users: BasicAuthUsers, headers: [(name: String, value: String)]) {
        self.users = users
        // Names parsed once; the web config allows only valid header names.
        self.headers = headers.compactMap { h in HTTPField.Name(h.name).map { ($0, h.value) } }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !users.isEmpty {
            guard let (user, password) = Self.credentials(request.headers[.authorization]),
                  await users.check(user: user, password: password) else {
                Counter(label: "strata_http_auth_failures_total").increment()
                var r = Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
                r.headers[.wwwAuthenticate] = "Basic"
                return withHeaders(r)
            }
        }
        return withHeaders(try await next(request, context))
    }

    func withHeaders(_ response: Response) -> Response {
        var r = response
        for (name, value) in headers { r.headers[name] = value }
        return r
    }

    /// User and password of a `Basic` Authorization header.
    static func credentials(_ header: String?) -> (String, String)? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

extension WebConfig {
    /// The HTTP server for this config: TLS (certificate reloaded as its files change) or plain.
    func serverBuilder(logger: Logger) throws -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        let source = try ServerTLS(tls, logger: logger)
        return try .tls(.http1(), tlsConfiguration: try source.tlsConfiguration(applicationProtocols: ["http/1.1"]))
    }
}
