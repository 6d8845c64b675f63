import ArgumentParser
import StrataCore

/// Thanos Ruler's Alertmanager flags, named as Thanos names them, for `strata-rule` to
/// include with `@OptionGroup`. `make()` turns them into the sender's configuration; the
/// ruler adds its external labels, `--dns.nameserver` and TLS itself.
public struct AlertmanagerOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("alertmanagers.url"),
            help: "Alertmanager URL to push alerts to; repeatable. http://host:port/prefix, dns+http://name:port or dnssrv+http://_am._tcp.name (DNS lookups; port 9093 or the SRV record's). The path is a prefix of /api/v2/alerts; user:password@ is basic auth. A batch is sent when one Alertmanager took it.")
    public var urls: [String] = []
    @Option(name: .customLong("alertmanagers.send-timeout"), help: "Time one batch of alerts may take at one Alertmanager, retries included.")
    public var sendTimeout = "10s"
    @Option(name: .customLong("alertmanagers.sd-dns-interval"), help: "Interval between DNS lookups of dns+/dnssrv+ Alertmanager names.")
    public var dnsInterval = "30s"
    @Option(name: .customLong("alert.label-drop"), help: "Label name removed from every alert before sending, so HA rulers send identical alerts (the replica label); repeatable.")
    public var labelDrop: [String] = []

    public init() {}

    public func make() throws -> AlertmanagerSenderConfig {
        var c = AlertmanagerSenderConfig()
        c.urls = urls
        c.sendTimeout = .milliseconds(try Self.duration(sendTimeout, "--alertmanagers.send-timeout"))
        c.dnsInterval = .milliseconds(try Self.duration(dnsInterval, "--alertmanagers.sd-dns-interval"))
        c.labelDrop = labelDrop
        _ = try c.validated()
        return c
    }

    static func duration(_ text: String, _ flag: String) throws -> Int64 {
        do { return try parseDuration(text) } catch { throw ConfigError("\(flag) \"\(text)\": \(error)") }
    }
}
