/// Turning one `DNSSpec` into addresses, as Thanos's `dnsSD.Resolve` with its default
/// (miekgdns) resolver does:
///
/// - `dns+`: AAAA records, or A records when the AAAA lookup fails or finds none (miekgdns
///   `lookupIPAddr`: a dual-stack host gives its IPv6 addresses only, so one store is not
///   listed twice); `dnsdualstack+` asks for both (AAAA first) and fails only when both
///   lookups fail.
/// - `dnssrv+`: each SRV target's addresses as for `dns+`, with the record's port unless the
///   spec gives one; one target whose lookup fails fails the whole spec (its last answer is
///   kept), a target that does not exist contributes nothing.
/// - `dnssrvnoa+`: each target as a name.
///
/// CNAMEs are followed, up to 8 deep. A name that does not exist gives no addresses and no
/// error. SRV records are kept in the order the server sent them, as miekgdns does (no
/// priority/weight sorting: every target is an endpoint).
extension DNSClient {
    static let maxCNAMEDepth = 8

    public func resolve(_ spec: DNSSpec) async throws -> [String] {
        let ns = try nameservers()
        switch spec.kind {
        case .a:
            return try await addresses(spec.host, ns).map { spec.address($0, port: spec.port!) }
        case .dualStack:
            return try await dualStackAddresses(spec.host, ns).map { spec.address($0, port: spec.port!) }
        case .srv, .srvNoA:
            var out: [String] = []
            for (target, port) in try await srv(spec.host, ns) {
                let port = spec.port ?? Int(port)
                if spec.kind == .srvNoA {
                    out.append(spec.address(target, port: port))
                } else {
                    // SRV targets are absolute names: no search list.
                    out += try await addresses(target + ".", ns).map { spec.address($0, port: port) }
                }
            }
            return out
        }
    }

    /// AAAA, else A (miekgdns `lookupIPAddr`).
    func addresses(_ host: String, _ ns: Nameservers, depth: Int = 0) async throws -> [String] {
        var records = (try? await lookup(host, .aaaa, in: ns)) ?? []
        if records.isEmpty { records = try await lookup(host, .a, in: ns) }
        return try await collect(records, host: host, depth: depth) { try await addresses($0, ns, depth: depth + 1) }
    }

    /// AAAA then A (miekgdns `LookupIPAddrByNetwork` for ip6, then ip4).
    func dualStackAddresses(_ host: String, _ ns: Nameservers) async throws -> [String] {
        var out: [String] = [], firstError: (any Error)?
        for type in [DNSRecordType.aaaa, .a] {
            do { out += try await typed(host, type, ns) } catch { firstError = firstError ?? error }
        }
        if out.isEmpty, let firstError { throw firstError }
        return out
    }

    func typed(_ host: String, _ type: DNSRecordType, _ ns: Nameservers, depth: Int = 0) async throws -> [String] {
        let records = try await lookup(host, type, in: ns)
        return try await collect(records, host: host, depth: depth) { try await typed($0, type, ns, depth: depth + 1) }
    }

    /// The addresses in `records`, plus those of CNAME targets the answer did not already
    /// resolve (a recursive server usually sends the chain with the final records).
    func collect(_ records: [DNSRecord], host: String, depth: Int, follow: (String) async throws -> [String]) async throws -> [String] {
        var out: [String] = [], owners: Set<String> = [], cnames: [String] = []
        for r in records {
            switch r {
            case .a(let name, let ip), .aaaa(let name, let ip):
                out.append(ip)
                owners.insert(name.lowercased())
            case .cname(_, let target): cnames.append(target)
            case .srv: continue
            }
        }
        for target in cnames where !owners.contains(target.lowercased()) {
            guard depth < Self.maxCNAMEDepth else { throw DNSError.tooManyCNAMEs(host) }
            out += try await follow(target + ".")
        }
        return out
    }

    /// SRV targets (without the trailing dot) and ports.
    func srv(_ name: String, _ ns: Nameservers, depth: Int = 0) async throws -> [(String, UInt16)] {
        var out: [(String, UInt16)] = [], owners: Set<String> = [], cnames: [String] = []
        for r in try await lookup(name, .srv, in: ns) {
            switch r {
            case .srv(let owner, _, _, let port, let target):
                out.append((target, port))
                owners.insert(owner.lowercased())
            case .cname(_, let target): cnames.append(target)
            case .a, .aaaa: continue
            }
        }
        for target in cnames where !owners.contains(target.lowercased()) {
            guard depth < Self.maxCNAMEDepth else { throw DNSError.tooManyCNAMEs(name) }
            out += try await srv(target + ".", ns, depth: depth + 1)
        }
        return out
    }
}
