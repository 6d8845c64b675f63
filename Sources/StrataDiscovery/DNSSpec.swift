import StrataCore

/// One address as an operator writes it in `--endpoint`, a file SD target or a downstream
/// URL, with Thanos's DNS prefixes (pkg/discovery/dns): the text before the first `+` names
/// the lookup, the rest is `[scheme://]host[:port]`.
///
/// - no prefix: used as it is, no lookup;
/// - `dns+host:port`: the host's addresses (AAAA, or A when there are none), each `ip:port`;
/// - `dnsdualstack+host:port`: AAAA and A both;
/// - `dnssrv+name[:port]`: SRV records, then each target's addresses, each `ip:port` with the
///   record's port (or the port written in the spec, which Thanos lets override it);
/// - `dnssrvnoa+name[:port]`: SRV records, each `target:port` with no address lookup.
///
/// A `scheme://` after the prefix is kept on every result (`dns+http://q:9090` →
/// `http://10.0.0.1:9090`), as Thanos's resolver does.
public struct DNSSpec: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case a = "dns"
        case dualStack = "dnsdualstack"
        case srv = "dnssrv"
        case srvNoA = "dnssrvnoa"
    }

    public let kind: Kind
    public let scheme: String?
    public let host: String
    /// Required for `dns+`/`dnsdualstack+`; for SRV kinds it replaces the records' port.
    public let port: Int?

    public init(kind: Kind, scheme: String? = nil, host: String, port: Int?) {
        self.kind = kind
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Whether `address` asks for a lookup (has a `qtype+` prefix), as Thanos's `IsDynamicNode`.
    public static func isDynamic(_ address: String) -> Bool { address.contains("+") }

    /// nil for a plain address (no `+`); a `ConfigError` for an unknown prefix, an empty
    /// name, a bad port, or `dns+` without a port.
    public static func parse(_ address: String) throws -> DNSSpec? {
        guard let plus = address.firstIndex(of: "+") else { return nil }
        let prefix = String(address[..<plus])
        guard let kind = Kind(rawValue: prefix) else {
            let known = Kind.allCases.map { "\($0.rawValue)+" }.joined(separator: ", ")
            throw ConfigError("\(address): unknown DNS lookup \"\(prefix)+\" (known: \(known))")
        }
        var rest = Substring(address[address.index(after: plus)...])
        var scheme: String?
        if let sep = rest.range(of: "://") {
            scheme = String(rest[..<sep.lowerBound])
            rest = rest[sep.upperBound...]
        }
        let (host, port) = try splitHostPort(rest, in: address)
        guard !host.isEmpty else { throw ConfigError("\(address): no name to look up") }
        if port == nil && (kind == .a || kind == .dualStack) {
            throw ConfigError("\(address): \(kind.rawValue)+ needs a port (\(kind.rawValue)+host:port)")
        }
        return DNSSpec(kind: kind, scheme: scheme, host: host, port: port)
    }

    /// `host`, `host:port`, `[v6]:port`; a bare IPv6 literal (several colons) is a host
    /// without a port, as Go's `net.SplitHostPort` failing and Thanos falling back to it.
    static func splitHostPort(_ s: Substring, in address: String) throws -> (String, Int?) {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { throw ConfigError("\(address): unclosed [ in host") }
            let host = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else { throw ConfigError("\(address): unexpected text after ]") }
            return (host, try parsePort(after.dropFirst(), in: address))
        }
        let colons = s.filter { $0 == ":" }.count
        guard colons == 1, let colon = s.firstIndex(of: ":") else { return (String(s), nil) }
        return (String(s[..<colon]), try parsePort(s[s.index(after: colon)...], in: address))
    }

    static func parsePort(_ s: Substring, in address: String) throws -> Int {
        guard let p = Int(s), (0...65535).contains(p) else { throw ConfigError("\(address): bad port \"\(s)\"") }
        return p
    }

    /// `host:port`, with brackets around an IPv6 host (Go's `net.JoinHostPort`), and the
    /// spec's scheme in front.
    func address(_ host: String, port: Int) -> String {
        let hp = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return scheme.map { "\($0)://\(hp)" } ?? hp
    }
}
