import Foundation
import Logging
import StrataCore
import StrataDiscovery
import Synchronization

/// The querier URLs behind `--query-frontend.downstream-url`: a comma-separated list whose
/// entries are plain URLs or URLs whose host carries a DNS lookup prefix (`DNSSpec`):
///
///     http://dns+querier.example:10902          every address of the name, port 10902
///     http://dnssrv+_http._tcp.querier.example  every SRV target's addresses, the records' ports
///     http://dnssrvnoa+_http._tcp.querier.example/prefix
///
/// Thanos's own form with the prefix before the scheme (`dns+http://querier:10902`, as its
/// `--alertmanagers.url` takes it) is accepted too. Each such entry becomes one URL per
/// address found, with the entry's scheme and path.
///
/// Lookups are made when a request needs the list: the first request waits for them; after
/// that a request never waits for DNS — once `interval` has passed, the next request starts a
/// lookup in the background and is sent with the last list. Lookup failures keep the last
/// answer (`DNSProvider`).
final class DownstreamTargets: Sendable {
    enum Entry: Sendable, Equatable {
        case url(String)
        /// A `DNSSpec` text with the scheme after the prefix, and the path to put back.
        case dns(spec: String, path: String)
    }

    struct State {
        var urls: [String]?
        var resolvedAt: ContinuousClock.Instant
        var refreshing = false
    }

    let written: String
    let entries: [Entry]
    let provider: DNSProvider
    let interval: Duration
    let state = Mutex(State(urls: nil, resolvedAt: .now))

    init(_ list: String, client: DNSClient, interval: Duration, logger: Logger) throws {
        written = list
        entries = try list.split(separator: ",").map { try Self.parse(String($0)) }.compactMap { $0 }
        provider = DNSProvider(client: client, interval: .zero, logger: logger)
        self.interval = interval
        if !entries.contains(where: { if case .dns = $0 { true } else { false } }) {
            state.withLock { $0.urls = Self.urls(entries, resolved: []) }
        }
    }

    /// nil for an empty entry; a `ConfigError` for a malformed DNS entry.
    static func parse(_ raw: String) throws -> Entry? {
        var u = raw.trimmingCharacters(in: .whitespaces)
        if u.hasSuffix("/") { u.removeLast() }
        guard !u.isEmpty else { return nil }
        guard let sep = u.range(of: "://") else { return .url(u) }
        var scheme = String(u[..<sep.lowerBound])
        let rest = u[sep.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        let path = String(rest.dropFirst(authority.count))
        let spec: String
        if let plus = scheme.firstIndex(of: "+") {
            // Thanos's form: dns+http://host:port
            spec = String(scheme[...plus]) + String(scheme[scheme.index(after: plus)...]) + "://" + authority
            scheme = ""
        } else if let plus = authority.firstIndex(of: "+") {
            spec = String(authority[...plus]) + scheme + "://" + authority[authority.index(after: plus)...]
        } else {
            return .url(u)
        }
        do { _ = try DNSSpec.parse(spec) } catch {
            throw ConfigError("--query-frontend.downstream-url entry \"\(raw)\": \(error)")
        }
        return .dns(spec: spec, path: path)
    }

    /// The URLs to send requests to now.
    func current() async -> [String] {
        let (urls, stale) = state.withLock { s -> ([String]?, Bool) in
            guard let urls = s.urls else { return (nil, false) }
            let stale = !s.refreshing && ContinuousClock.now - s.resolvedAt >= interval
            if stale { s.refreshing = true }
            return (urls, stale)
        }
        guard let urls else { return await refresh() }
        if stale { Task { _ = await self.refresh() } }
        return urls
    }

    @discardableResult
    func refresh() async -> [String] {
        let specs = entries.compactMap { if case .dns(let spec, _) = $0 { spec } else { nil } }
        let urls = Self.urls(entries, resolved: await provider.resolveEach(specs))
        state.withLock { $0 = State(urls: urls, resolvedAt: .now) }
        return urls
    }

    /// Entries in order, each DNS entry replaced by its resolved addresses plus its path.
    static func urls(_ entries: [Entry], resolved: [[String]]) -> [String] {
        var out: [String] = [], next = 0
        for e in entries {
            switch e {
            case .url(let u): out.append(u)
            case .dns(_, let path):
                out += resolved[next].map { $0 + path }
                next += 1
            }
        }
        return out
    }
}
