import Logging
import Metrics
import StrataCore
import StrataSecurity
import Synchronization

/// Thanos's endpoint configuration (`--endpoint.sd-config-file` / `--endpoint.sd-config`):
/// the Store API endpoints to dial and how — TLS per endpoint, so one querier reaches a TLS
/// store gateway and a plaintext sidecar. Format (Thanos cmd/thanos/endpointset.go):
///
///     default_client_config: {tls_config: {...}, server_name: ..., compression: none}
///     endpoints:
///       - address: host:port          # or dns+ / dnssrv+ / dnssrvnoa+ forms
///         client_config: {tls_config: {enabled, ca_file, cert_file, key_file, insecure_skip_verify, min_version}, server_name}
///         strict: false               # accepted: every configured endpoint is kept while unhealthy
///
/// An endpoint's `client_config` left empty uses `default_client_config`, and that left
/// empty uses the `--grpc-client-tls-*` flags, as in Thanos. Endpoint groups (`group: true`)
/// and snappy compression are refused rather than ignored. The file is re-read every
/// `--endpoint.sd-config-reload-interval` (`EndpointConfigSource`).
public struct EndpointConfig: Sendable {
    public struct Entry: Sendable, Equatable {
        public var address: String
        /// nil: plaintext.
        public var tls: ClientTLSConfig?
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    /// `flagsTLS`: the `--grpc-client-tls-*` settings, the fallback of an empty client_config.
    public static func parse(yaml: String, name: String, flagsTLS: ClientTLSConfig?) throws -> EndpointConfig {
        var top = try ConfigMap.parse(yaml: yaml, name: name)
        var defaults = try top.map("default_client_config")
        let base = try clientTLS(&defaults, fallback: flagsTLS)
        var out = EndpointConfig()
        for var e in try top.list("endpoints") {
            let address = try e.requiredString("address")
            _ = try e.bool("strict")
            if try e.bool("group") { throw ConfigError("\(e.path): endpoint groups (group: true) are not supported by Strata") }
            if !(try e.string("service_config")).isEmpty { throw ConfigError("\(e.path): service_config is only valid for endpoint groups") }
            var client = try e.map("client_config")
            let tls = try clientTLS(&client, fallback: base)
            try e.rejectUnknown()
            out.entries.append(Entry(address: address, tls: tls))
        }
        try top.rejectUnknown()
        return out
    }

    /// A `client_config` mapping → TLS settings; an empty one is `fallback`.
    static func clientTLS(_ m: inout ConfigMap, fallback: ClientTLSConfig?) throws -> ClientTLSConfig? {
        let compression = try m.string("compression", default: "none")
        guard compression == "none" else { throw ConfigError("\(m.path).compression \"\(compression)\" is not supported (none)") }
        let serverName = try m.string("server_name")
        var t = try m.map("tls_config")
        try m.rejectUnknown()
        if t.keys.isEmpty && serverName.isEmpty { return fallback }
        // Thanos: `enabled` unset means on when any TLS file or setting is given.
        let given = ["ca_file", "cert_file", "key_file", "insecure_skip_verify"].contains { t.has($0) }
        let enabled = try t.bool("enabled", default: given || fallback != nil)
        var tls = try ClientTLSConfig.parse(&t)
        if !serverName.isEmpty { tls.serverName = serverName }
        return enabled ? tls : nil
    }
}

/// The endpoint config in force, re-read from its file every
/// `--endpoint.sd-config-reload-interval` as Thanos does. A file that no longer parses keeps
/// the last good config (logged, `strata_query_endpoint_config_reload_failures_total`): a
/// half-written file must not empty the querier.
public final class EndpointConfigSource: Sendable {
    let file: String?
    let flagsTLS: ClientTLSConfig?
    private let state: Mutex<EndpointConfig>

    public init(_ initial: EndpointConfig, file: String?, flagsTLS: ClientTLSConfig?) {
        self.file = file
        self.flagsTLS = flagsTLS
        state = Mutex(initial)
    }

    public var current: EndpointConfig { state.withLock { $0 } }

    /// TLS settings of a configured address; nil when `spec` is not one (the caller uses the flags').
    public func tls(for spec: String) -> ClientTLSConfig?? {
        current.entries.first { $0.address == spec }.map(\.tls)
    }

    /// Re-reads the file. Returns the new addresses and those whose TLS settings changed, or
    /// nil when nothing changed (or the file could not be used).
    public func reload(logger: Logger) -> (addresses: [String], changed: Set<String>)? {
        guard let file else { return nil }
        let next: EndpointConfig
        do {
            next = try EndpointConfig.parse(yaml: try String(contentsOfFile: file, encoding: .utf8), name: file, flagsTLS: flagsTLS)
        } catch {
            logger.error("endpoint config reload failed, keeping the last one", metadata: ["err": "\(error)"])
            Counter(label: "strata_query_endpoint_config_reload_failures_total").increment()
            return nil
        }
        let previous = state.withLock { old in
            defer { old = next }
            return old
        }
        guard previous.entries != next.entries else { return nil }
        let before = Dictionary(previous.entries.map { ($0.address, $0.tls) }, uniquingKeysWith: { a, _ in a })
        let changed = Set(next.entries.filter { e in before[e.address].map { $0 != e.tls } ?? false }.map(\.address))
        logger.info("endpoint config reloaded", metadata: ["endpoints": "\(next.entries.count)", "tls_changed": "\(changed.count)"])
        return (next.entries.map(\.address), changed)
    }
}
