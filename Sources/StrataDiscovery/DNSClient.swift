import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Asks nameservers one question and says what they know, with the outcomes Thanos's
/// miekgdns resolver distinguishes (its `lookupWithSearchPath`, from Prometheus's DNS SD):
///
/// 1. one candidate name (see `Nameservers.candidates`) exists: its records of the type
///    asked — possibly none ("the name has no records of this type");
/// 2. every candidate is NXDOMAIN: no records, an answer like 1;
/// 3. some candidate got no usable reply from any server (timeout, SERVFAIL, REFUSED,
///    garbage): an error, because whether records exist is unknown — the caller keeps what it
///    knew.
///
/// Servers are tried in order; NOERROR or NXDOMAIN from one ends the search for that name.
/// Each server gets `attempts` UDP tries of `timeout` each (one retry by default), and a
/// truncated UDP reply is asked again over TCP.
public struct DNSClient: Sendable {
    public enum Source: Sendable {
        /// `/etc/resolv.conf` (or another file in its format), read at each lookup round so
        /// an edited file is followed without a restart, as miekgdns does.
        case resolvConf(path: String)
        case nameservers(Nameservers)
    }

    public var source: Source
    public var timeout: Duration
    public var attempts: Int

    public init(source: Source = .resolvConf(path: "/etc/resolv.conf"), timeout: Duration = .seconds(2), attempts: Int = 2) {
        self.source = source
        self.timeout = timeout
        self.attempts = max(1, attempts)
    }

    /// `--dns.nameserver`: empty means `/etc/resolv.conf`, else `ip:port`.
    public init(nameserver: String, timeout: Duration = .seconds(2), attempts: Int = 2) throws {
        let source: Source = nameserver.isEmpty ? .resolvConf(path: "/etc/resolv.conf") : .nameservers(try .explicit(nameserver))
        self.init(source: source, timeout: timeout, attempts: attempts)
    }

    func nameservers() throws -> Nameservers {
        switch source {
        case .resolvConf(let path): try Nameservers.resolvConf(path: path)
        case .nameservers(let ns): ns
        }
    }

    /// Records answering `name`/`type` (CNAMEs included as the server sent them); empty when
    /// the name does not exist.
    public func lookup(_ name: String, _ type: DNSRecordType) async throws -> [DNSRecord] {
        try await lookup(name, type, in: try nameservers())
    }

    func lookup(_ name: String, _ type: DNSRecordType, in ns: Nameservers) async throws -> [DNSRecord] {
        var errors: [any Error] = []
        for candidate in ns.candidates(name) {
            do {
                let reply = try await askAny(candidate, type, servers: ns.servers)
                if reply.rcode == 0 { return reply.answers }
            } catch {
                errors.append(error)
            }
        }
        if let first = errors.first { throw first }
        return []
    }

    /// The first NOERROR or NXDOMAIN reply from the servers in order.
    func askAny(_ name: String, _ type: DNSRecordType, servers: [SocketAddress]) async throws -> DNSReply {
        var last: any Error = DNSError.noNameservers("none configured")
        for server in servers {
            do {
                let reply = try await ask(name, type, server: server)
                if reply.rcode == 0 || reply.rcode == 3 { return reply }
                last = DNSError.serverError(server: Self.text(server), rcode: reply.rcode)
            } catch {
                last = error
            }
        }
        throw last
    }

    /// One server: UDP with retries, TCP when the UDP reply is truncated.
    public func ask(_ name: String, _ type: DNSRecordType, server: SocketAddress) async throws -> DNSReply {
        var lastError: (any Error)?
        for _ in 0..<attempts {
            try Task.checkCancellation()
            let id = UInt16.random(in: .min ... .max)
            let query = try DNSMessage.query(id: id, name: name, type: type)
            let decode: DNSTransport.Decode = { bytes in
                do { return try DNSMessage.reply(bytes, id: id, name: name, type: type) } catch DNSError.mismatch { return nil }
            }
            do {
                guard let reply = try await DNSTransport.udp(query, to: server, timeout: timeout, decode: decode) else { continue }
                guard reply.truncated else { return reply }
                let tcpQuery = try DNSMessage.query(id: id, name: name, type: type, edns: false)
                guard let full = try await DNSTransport.tcp(tcpQuery, to: server, timeout: timeout, decode: decode) else {
                    throw DNSError.timeout(server: Self.text(server) + " (TCP, after a truncated UDP reply)", attempts: 1, after: timeout)
                }
                return full
            } catch let error as DNSError {
                lastError = error
            } catch let error as IOError {
                // NIO's text for these is "so_error: Connection refused) (errno: 111)".
                lastError = DNSError.transport(server: Self.text(server), String(cString: strerror(error.errnoCode)).lowercased())
            } catch {
                try Task.checkCancellation()
                lastError = DNSError.transport(server: Self.text(server), "\(error)")
            }
        }
        throw lastError ?? DNSError.timeout(server: Self.text(server), attempts: attempts, after: timeout)
    }

    static func text(_ a: SocketAddress) -> String {
        guard let ip = a.ipAddress, let port = a.port else { return "\(a)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
