import StrataCore

/// One alert as a ruler hands it to Alertmanager: Prometheus's `notifier.Alert`.
///
/// Alertmanager identifies an alert by its labels alone; annotations are information that
/// may change between sends. A firing alert is sent again on every evaluation with `endsAt`
/// a little in the future (Thanos's `ValidUntil`), so that Alertmanager resolves it by itself
/// when the ruler goes away; a resolved one is sent with `endsAt` in the past.
public struct Alert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    /// Milliseconds since the epoch.
    public var startsAt: Int64
    /// Milliseconds since the epoch; nil: not known (Alertmanager then applies its
    /// `resolve_timeout`).
    public var endsAt: Int64?
    /// Where the alert comes from (a query URL); empty: none.
    public var generatorURL: String

    public init(labels: Labels, annotations: Labels = Labels(), startsAt: Int64, endsAt: Int64? = nil, generatorURL: String = "") {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }
}

extension Alert {
    /// The body of `POST /api/v2/alerts` as Prometheus and Thanos write it (Alertmanager's
    /// `models.PostableAlerts` through Go's encoding/json): per alert the keys `annotations`,
    /// `endsAt`, `startsAt`, `generatorURL`, `labels` in that order, label maps with sorted
    /// keys, Go's HTML-safe string escapes, timestamps in RFC3339 UTC with exactly three
    /// fraction digits (strfmt's `RFC3339Millis`).
    ///
    /// Empty annotations and an empty generator URL are left out, as their `omitempty` tags
    /// do. A missing `endsAt` is left out too: Go writes its zero time
    /// (`0001-01-01T00:00:00.000Z`) there, which Alertmanager reads exactly as an absent field
    /// (`IsZero`), so leaving it out says the same in fewer bytes.
    public static func encodeV2(_ alerts: [Alert]) -> [UInt8] {
        var w = JSONBytes(capacity: 256 * max(alerts.count, 1))
        w.byte(UInt8(ascii: "["))
        for (i, a) in alerts.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.byte(UInt8(ascii: "{"))
            if !a.annotations.isEmpty {
                w.append("\"annotations\":")
                w.metric(a.annotations)
                w.byte(UInt8(ascii: ","))
            }
            if let end = a.endsAt {
                w.append("\"endsAt\":\"\(rfc3339Millis(end))\",")
            }
            w.append("\"startsAt\":\"\(rfc3339Millis(a.startsAt))\",")
            if !a.generatorURL.isEmpty {
                w.append("\"generatorURL\":")
                w.string(a.generatorURL)
                w.byte(UInt8(ascii: ","))
            }
            w.append("\"labels\":")
            w.metric(a.labels)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
        return w.bytes
    }

    /// `2006-01-02T15:04:05.000Z` in UTC: always three fraction digits, as strfmt writes.
    static func rfc3339Millis(_ ms: Int64) -> String {
        let frac = ((ms % 1000) + 1000) % 1000
        let whole = formatRFC3339(ms - frac)
        return whole.dropLast() + "." + String(String(frac + 1000).dropFirst()) + "Z"
    }
}
