import Foundation
import StrataCore

/// One `--alertmanagers.url`, read as Thanos's `BuildAlertmanagerConfig` reads it:
///
/// - `http://host:port/prefix`: one Alertmanager; no port means the scheme's (80, 443), as
///   Go's HTTP client does for Thanos;
/// - `dns+http://name:port/prefix`: every address of `name` (port 9093 when none is written);
/// - `dnssrv+http://_alertmanager._tcp.name/prefix`: SRV records, each target's addresses
///   with the record's port; `dnssrvnoa+`: the SRV targets without an address lookup;
/// - the path is a prefix in front of `/api/v2/alerts` (an Alertmanager behind a proxy or
///   run with `--web.route-prefix`);
/// - `user:password@` is basic auth for this Alertmanager (percent-decoded).
///
/// The lookups themselves are `StrataDiscovery`'s (`DNSProvider`); `discovery` is the address
/// in the form it takes.
public struct AlertmanagerURL: Sendable, Equatable {
    /// `http` or `https`.
    public let scheme: String
    /// `host[:port]`, or `dns+host:port` / `dnssrv+name` / `dnssrvnoa+name` for `DNSProvider`.
    public let discovery: String
    /// The path to POST to: the URL's path joined with `/api/v2/alerts`.
    public let alertsPath: String
    public let user: String?
    public let password: String

    public static let defaultPort = 9093
    static let lookups = ["dns", "dnssrv", "dnssrvnoa"]

    public static func parse(_ text: String) throws -> AlertmanagerURL {
        func bad(_ why: String) -> ConfigError { ConfigError("--alertmanagers.url \"\(text)\": \(why)") }
        guard let sep = text.range(of: "://") else { throw bad("no scheme (write e.g. http://host:9093)") }
        var scheme = text[..<sep.lowerBound].lowercased()
        if scheme.isEmpty { throw bad("empty scheme") }
        var lookup: String?
        if let plus = scheme.firstIndex(of: "+") {
            let prefix = String(scheme[..<plus])
            guard Self.lookups.contains(prefix) else {
                throw bad("unknown DNS lookup \"\(prefix)+\" (known: dns+, dnssrv+, dnssrvnoa+)")
            }
            lookup = prefix
            scheme = String(scheme[scheme.index(after: plus)...])
        }
        guard scheme == "http" || scheme == "https" else { throw bad("scheme must be http or https, got \"\(scheme)\"") }
        let rest = text[sep.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let afterAuthority = rest[authorityEnd...]
        let path = afterAuthority.prefix { $0 != "?" && $0 != "#" }

        var user: String?, password = ""
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let colon = info.firstIndex(of: ":")
            let u = String(info[..<(colon ?? info.endIndex)])
            guard let du = u.removingPercentEncoding else { throw bad("bad percent-encoding in the user name") }
            if let colon {
                guard let dp = String(info[info.index(after: colon)...]).removingPercentEncoding else {
                    throw bad("bad percent-encoding in the password")
                }
                password = dp
            }
            if !du.isEmpty || colon != nil { user = du }
        }
        if authority.isEmpty { throw bad("empty host") }
        let hasPort: Bool
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("unclosed [ in the host") }
            let after = authority[authority.index(after: close)...]
            hasPort = after.hasPrefix(":")
            if !after.isEmpty && !hasPort { throw bad("unexpected text after ]") }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            if colons > 1 { throw bad("write an IPv6 address in brackets: [::1]:9093") }
            hasPort = colons == 1
        }
        if hasPort {
            let port = authority[authority.index(after: authority.lastIndex(of: ":")!)...]
            guard let p = Int(port), (1...65535).contains(p) else { throw bad("bad port \"\(port)\"") }
        }
        var discovery = String(authority)
        if let lookup {
            if lookup == "dns" && !hasPort { discovery += ":\(Self.defaultPort)" }
            discovery = lookup + "+" + discovery
        }
        return AlertmanagerURL(scheme: scheme, discovery: discovery, alertsPath: Self.join(String(path), "api/v2/alerts"),
                               user: user, password: password)
    }

    /// The URL to POST to at `address` (`host:port` as `DNSProvider` answers, or the static one).
    public func endpoint(_ address: String) -> String { "\(scheme)://\(address)\(alertsPath)" }

    /// Go's `path.Join(prefix, "/api/v2/alerts")`: `//`, `.` and `..` cleaned, always absolute.
    static func join(_ prefix: String, _ tail: String) -> String {
        var parts: [Substring] = []
        for p in (prefix + "/" + tail).split(separator: "/") {
            if p == "." { continue }
            if p == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(p)
        }
        return "/" + parts.joined(separator: "/")
    }
}
