/// The `host:port` form every Strata address flag and peer address takes, split the way Go's
/// `net.SplitHostPort` does so an address that works for Thanos works here: the port follows
/// the last colon, an IPv6 host is written in brackets (`[::1]:10901`) and returned without
/// them, an unbracketed host with a colon is refused (`::1:53` is ambiguous), an empty host
/// stays empty (callers pick their own default), the port is decimal digits up to 65535.
public enum HostPort {
    public static func split(_ s: String) -> (host: String, port: Int)? {
        let hostPart: Substring, portPart: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]"), s[s.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = s[s.index(after: s.startIndex)..<close]
            portPart = s[s.index(close, offsetBy: 2)...]
        } else {
            guard let colon = s.lastIndex(of: ":") else { return nil }
            hostPart = s[..<colon]
            portPart = s[s.index(after: colon)...]
            if hostPart.contains(":") { return nil }
        }
        guard !portPart.isEmpty, portPart.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(portPart), (0...65535).contains(port) else { return nil }
        return (String(hostPart), port)
    }
}
