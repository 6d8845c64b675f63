import StrataCore
import StrataSecurity

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
/// and snappy compression are refused rather than ignored.
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
