import StrataCore
import StrataDiscovery
import StrataSecurity

/// How a ruler delivers alerts: Thanos Ruler's `--alertmanagers.*` and `--alert.label-drop`
/// flags plus the queue sizes Thanos fixes in code (`alert.NewQueue(…, 10000, 100, …)`).
public struct AlertmanagerSenderConfig: Sendable {
    /// `--alertmanagers.url`, see `AlertmanagerURL`. Alerts go to every Alertmanager found;
    /// a batch is delivered when one of them took it (they gossip it to the others).
    public var urls: [String] = []
    /// `--alertmanagers.send-timeout`: the whole time one batch may take at one Alertmanager,
    /// retries included.
    public var sendTimeout: Duration = .seconds(10)
    /// `--alertmanagers.sd-dns-interval`: how often `dns+`/`dnssrv+` names are looked up again.
    public var dnsInterval: Duration = .seconds(30)
    /// `--alert.label-drop`: label names removed from every alert (and from `externalLabels`)
    /// before sending, so that HA rulers differing only by a replica label send the same alert
    /// and Alertmanager keeps one.
    public var labelDrop: [String] = []
    /// The ruler's external labels (`--label`), set on every alert, overriding the alert's
    /// own value as Thanos's queue does.
    public var externalLabels = Labels()
    /// Alerts waiting to be sent; when full the oldest are dropped (Prometheus's
    /// `--alertmanager.notification-queue-capacity` default, Thanos's fixed value).
    public var queueCapacity = 10_000
    /// Alerts per POST (Thanos's fixed value; Prometheus's `DefaultMaxBatchSize` too).
    public var maxBatchSize = 100
    /// TLS and authentication for every Alertmanager (Prometheus's `http_config`); a URL's own
    /// `user:password@` wins over its `basic_auth`/`authorization`.
    public var http = HTTPClientConfig()
    /// Where `dns+`/`dnssrv+` names are looked up (`--dns.nameserver`; /etc/resolv.conf by default).
    public var dnsClient = DNSClient()
    /// The wait before the first retry of a failed POST; it doubles per retry, and retries
    /// stop when the next would start after the send timeout.
    public var retryBackoff: Duration = .milliseconds(100)
    /// At most one failure log line per Alertmanager in this time (the failures are all
    /// counted in the metrics).
    public var logInterval: Duration = .seconds(10)

    public init() {}

    /// The URLs parsed, and the numbers checked: a mistake stops the ruler at start.
    public func validated() throws -> [AlertmanagerURL] {
        guard sendTimeout > .zero else { throw ConfigError("--alertmanagers.send-timeout must be positive") }
        guard dnsInterval > .zero else { throw ConfigError("--alertmanagers.sd-dns-interval must be positive") }
        guard queueCapacity > 0, maxBatchSize > 0 else { throw ConfigError("alert queue capacity and batch size must be positive") }
        return try urls.map(AlertmanagerURL.parse)
    }
}
