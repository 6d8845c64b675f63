import Foundation
import NIOCore
import StrataCore

/// Which nameservers to ask and how to complete a name: either `/etc/resolv.conf` (every
/// `nameserver`, in order; `search`/`domain` and `options ndots:N` applied to names as
/// Thanos's default miekgdns resolver does, through miekg's `NameList`; its `timeout:` and
/// `attempts:` options are ignored — `DNSResolver` has its own), or one server given as
/// `host:port` (`--dns.nameserver`), where names are asked exactly as written, with no search
/// list: an explicit server is for tests and private zones, where a suffix would only hide a
/// typo.
public struct Nameservers: Sendable {
    public var servers: [SocketAddress]
    public var search: [String] = []
    public var ndots = 1

    public init(servers: [SocketAddress], search: [String] = [], ndots: Int = 1) {
        self.servers = servers
        self.search = search
        self.ndots = ndots
    }

    /// `host:port` or `[v6]:port` with an IP literal host (no name to resolve before we can
    /// resolve names); a port alone is not accepted.
    public static func explicit(_ text: String) throws -> Nameservers {
        let bad = DNSError.noNameservers("--dns.nameserver \"\(text)\": expected ip:port, e.g. 127.0.0.1:53 or [::1]:53")
        guard let (host, port) = HostPort.split(text), port > 0,
              let address = try? SocketAddress(ipAddress: host, port: port) else { throw bad }
        return Nameservers(servers: [address])
    }

    /// resolv.conf(5) as glibc reads it: `#`/`;` comments, the last `search` or `domain` line
    /// wins, `ndots` capped at 15. Nameservers that are not IP literals (or carry a `%zone`)
    /// are skipped.
    public static func resolvConf(_ text: String) -> Nameservers {
        var ns = Nameservers(servers: [])
        for raw in text.split(whereSeparator: \.isNewline) {
            let line: Substring = raw.prefix { $0 != "#" && $0 != ";" }
            let f: [String] = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = f.first else { continue }
            switch key {
            case "nameserver" where f.count >= 2:
                if let a = try? SocketAddress(ipAddress: f[1], port: 53) { ns.servers.append(a) }
            case "search":
                ns.search = Array(f.dropFirst())
            case "domain" where f.count >= 2:
                ns.search = [f[1]]
            case "options":
                for o in f.dropFirst() where o.hasPrefix("ndots:") {
                    if let n = Int(o.dropFirst(6)) { ns.ndots = min(max(n, 0), 15) }
                }
            default:
                continue
            }
        }
        return ns
    }

    public static func resolvConf(path: String) throws -> Nameservers {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DNSError.noNameservers("cannot read \(path): \(error.localizedDescription)")
        }
        let ns = resolvConf(text)
        guard !ns.servers.isEmpty else { throw DNSError.noNameservers("\(path) has no usable nameserver line") }
        return ns
    }

    /// The names to try for `name`, in order (miekg's `ClientConfig.NameList`): an absolute
    /// name (trailing dot) alone; otherwise the name itself first when it has more than
    /// `ndots` labels, then the name with each search domain, then the name itself last when
    /// it has fewer.
    public func candidates(_ name: String) -> [String] {
        if name.hasSuffix(".") { return [name] }
        let enoughDots = name.split(separator: ".").count > ndots
        var out: [String] = enoughDots ? [name] : []
        for s in search { out.append(name + "." + (s.hasSuffix(".") ? String(s.dropLast()) : s)) }
        if !enoughDots { out.append(name) }
        return out
    }
}
