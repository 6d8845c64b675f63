import CoreMetrics
import Logging
import Metrics

/// Expands address lists whose entries may carry Thanos's DNS prefixes (`DNSSpec`), keeping
/// per entry what the last lookup found — Thanos's `dns.Provider`:
///
/// - a plain address is returned as it is, with no lookup;
/// - a failed lookup (no reply, SERVFAIL, a malformed prefix) keeps the entry's previous
///   addresses, logs a warning and counts `strata_dns_lookup_failures_total`: a DNS server
///   hiccup must not empty a querier's store list;
/// - an answer with no records (the name does not exist) empties the entry, with a warning:
///   that is DNS saying the endpoints are gone;
/// - every lookup counts `strata_dns_lookups_total`.
///
/// An entry is looked up again only once `interval` has passed since its last lookup
/// (`--store.sd-dns-interval`), so a caller may ask as often as it likes (the endpoint set
/// refreshes every `--store.sd-interval`); between lookups the last answer is returned. A
/// failed lookup is retried after the same interval. The entries due are looked up
/// concurrently. Entries no longer asked for are forgotten.
public actor DNSProvider {
    struct Entry {
        var addresses: [String]
        var lookedUp: ContinuousClock.Instant
    }

    let client: DNSClient
    let interval: Duration
    let logger: Logger
    let lookups: Counter
    let failures: Counter
    private var entries: [String: Entry] = [:]

    public init(client: DNSClient = DNSClient(), interval: Duration = .zero, logger: Logger = Logger(label: "dns"),
                factory: any MetricsFactory = MetricsSystem.factory) {
        self.client = client
        self.interval = interval
        self.logger = logger
        lookups = Counter(label: "strata_dns_lookups_total", factory: factory)
        failures = Counter(label: "strata_dns_lookup_failures_total", factory: factory)
    }

    /// Every address of `specs`, in order, without duplicates.
    public func resolve(_ specs: [String]) async -> [String] {
        var out: [String] = [], seen: Set<String> = []
        for list in await resolveEach(specs) {
            for a in list where seen.insert(a).inserted { out.append(a) }
        }
        return out
    }

    /// The addresses of each spec, in the order of `specs`.
    public func resolveEach(_ specs: [String]) async -> [[String]] {
        let now = ContinuousClock.now
        let due = Set(specs.filter { DNSSpec.isDynamic($0) && entries[$0].map { now - $0.lookedUp >= interval } ?? true })
        let client = self.client
        let results = await withTaskGroup(of: (String, Result<[String], any Error>).self) { group in
            for spec in due {
                group.addTask {
                    do {
                        guard let parsed = try DNSSpec.parse(spec) else { return (spec, .success([spec])) }
                        // Awaited before the tuple is built (Swift 6.3 optimizer, see EndpointSet.refresh).
                        let found = try await client.resolve(parsed)
                        return (spec, .success(found))
                    } catch {
                        return (spec, .failure(error))
                    }
                }
            }
            var out: [(String, Result<[String], any Error>)] = []
            for await r in group { out.append(r) }
            return out
        }
        let done = ContinuousClock.now
        // Cancelled (the service stopping): nothing was learned, nothing to report.
        if Task.isCancelled { return specs.map { DNSSpec.isDynamic($0) ? entries[$0]?.addresses ?? [] : [$0] } }
        for (spec, result) in results {
            lookups.increment()
            switch result {
            case .success(let addresses):
                if addresses.isEmpty {
                    logger.warning("DNS lookup found no addresses", metadata: ["addr": "\(spec)"])
                } else if entries[spec]?.addresses != addresses {
                    logger.info("DNS lookup", metadata: ["addr": "\(spec)", "addresses": "\(addresses.joined(separator: ","))"])
                }
                entries[spec] = Entry(addresses: addresses, lookedUp: done)
            case .failure(let error):
                failures.increment()
                let kept = entries[spec]?.addresses ?? []
                logger.warning("DNS lookup failed, keeping the last answer",
                               metadata: ["addr": "\(spec)", "err": "\(error)", "kept": "\(kept.joined(separator: ","))"])
                entries[spec] = Entry(addresses: kept, lookedUp: done)
            }
        }
        let wanted = Set(specs)
        entries = entries.filter { wanted.contains($0.key) }
        return specs.map { DNSSpec.isDynamic($0) ? entries[$0]?.addresses ?? [] : [$0] }
    }
}
