import ArgumentParser
import StrataCore
import Testing
@testable import StrataNotify

/// The POST body byte for byte as Prometheus/Thanos write it, the URL forms of
/// `--alertmanagers.url`, and the flags.
struct AlertPayloadTests {
    @Test func bodyIsPrometheusV2JSON() {
        let full = Alert(labels: Labels(["job": "x", "alertname": "A<b>"]), annotations: Labels(["summary": "s&t \"q\""]),
                         startsAt: 1_700_000_000_123, endsAt: 1_700_000_300_000, generatorURL: "http://q/graph?g0.expr=up&x=1")
        let bare = Alert(labels: Labels(["alertname": "B"]), startsAt: 1_700_000_000_000)
        let expected = #"[{"annotations":{"summary":"s\u0026t \"q\""},"endsAt":"2023-11-14T22:18:20.000Z","#
            + #""startsAt":"2023-11-14T22:13:20.123Z","generatorURL":"http://q/graph?g0.expr=up\u0026x=1","#
            + #""labels":{"alertname":"A\u003cb\u003e","job":"x"}},"#
            + #"{"startsAt":"2023-11-14T22:13:20.000Z","labels":{"alertname":"B"}}]"#
        #expect(String(decoding: Alert.encodeV2([full, bare]), as: UTF8.self) == expected)
        #expect(String(decoding: Alert.encodeV2([]), as: UTF8.self) == "[]")
        #expect(Alert.rfc3339Millis(-1) == "1969-12-31T23:59:59.999Z")
        #expect(Alert.rfc3339Millis(7) == "1970-01-01T00:00:00.007Z")
    }

    @Test func urlForms() throws {
        let plain = try AlertmanagerURL.parse("http://am:9093")
        #expect(plain == AlertmanagerURL(scheme: "http", discovery: "am:9093", alertsPath: "/api/v2/alerts", user: nil, password: ""))
        #expect(plain.endpoint("am:9093") == "http://am:9093/api/v2/alerts")

        let auth = try AlertmanagerURL.parse("https://u:p%2Fw@am.example.com/prefix/")
        #expect(auth == AlertmanagerURL(scheme: "https", discovery: "am.example.com", alertsPath: "/prefix/api/v2/alerts", user: "u", password: "p/w"))

        #expect(try AlertmanagerURL.parse("dns+http://alertmanager").discovery == "dns+alertmanager:9093")
        let dns = try AlertmanagerURL.parse("dns+http://alertmanager:9094/x/./y/../")
        #expect(dns.discovery == "dns+alertmanager:9094")
        #expect(dns.alertsPath == "/x/api/v2/alerts")
        let srv = try AlertmanagerURL.parse("dnssrv+https://_web._tcp.am.svc")
        #expect(srv.discovery == "dnssrv+_web._tcp.am.svc" && srv.scheme == "https")
        #expect(try AlertmanagerURL.parse("DNSSRVNOA+HTTP://_x._tcp.y").discovery == "dnssrvnoa+_x._tcp.y")
        #expect(try AlertmanagerURL.parse("http://[::1]:9093").endpoint("[::1]:9093") == "http://[::1]:9093/api/v2/alerts")
        #expect(try AlertmanagerURL.parse("http://u@am:1").user == "u")

        for bad in ["am:9093", "://am", "ftp://am", "srv+http://am", "http://", "http:///x", "http://a:b:c", "http://a:99999", "http://[::1"] {
            #expect(throws: ConfigError.self, "\(bad)") { try AlertmanagerURL.parse(bad) }
        }
    }

    @Test func flagsAsThanosNamesThem() throws {
        let o = try AlertmanagerOptions.parse(["--alertmanagers.url", "http://a:9093", "--alertmanagers.url", "dns+http://b",
                                               "--alertmanagers.send-timeout", "3s", "--alertmanagers.sd-dns-interval", "1m",
                                               "--alert.label-drop", "replica", "--alert.label-drop", "rule_replica"])
        let c = try o.make()
        #expect(c.urls == ["http://a:9093", "dns+http://b"])
        #expect(c.sendTimeout == .seconds(3))
        #expect(c.dnsInterval == .seconds(60))
        #expect(c.labelDrop == ["replica", "rule_replica"])

        let d = try AlertmanagerOptions.parse([]).make()
        #expect(d.urls.isEmpty && d.sendTimeout == .seconds(10) && d.dnsInterval == .seconds(30) && d.labelDrop.isEmpty)
        #expect(d.queueCapacity == 10_000 && d.maxBatchSize == 100)

        let help = AlertmanagerOptions.helpMessage()
        for flag in ["--alertmanagers.url", "--alertmanagers.send-timeout", "--alertmanagers.sd-dns-interval", "--alert.label-drop"] {
            #expect(help.contains(flag), "\(flag)")
        }
        #expect(throws: ConfigError.self) { try AlertmanagerOptions.parse(["--alertmanagers.send-timeout", "ten"]).make() }
        #expect(throws: ConfigError.self) { try AlertmanagerOptions.parse(["--alertmanagers.send-timeout", "0"]).make() }
        #expect(throws: ConfigError.self) { try AlertmanagerOptions.parse(["--alertmanagers.url", "am:9093"]).make() }
    }
}
