import Foundation
import StrataCore
import StrataDiscovery
import StrataTestSupport
import Testing
@testable import StrataNotify

/// `dns+` and `dnssrv+` Alertmanager URLs resolved through a real dnsmasq.
@Suite(.serialized) struct DiscoveryTests {
    @Test func dnsAndSrvURLs() async throws {
        let a = try await FakeAlertmanager.start(), b = try await FakeAlertmanager.start()
        defer { Task { await a.stop(); await b.stop() } }
        guard let dns = try await DNSServer.start(config: ["srv-host=_alertmanager._tcp.am.test,am.test,\(b.port)"],
                                                 hosts: [("127.0.0.1", "am.test")]) else { return }
        defer { dns.stop() }
        var c = config(["dns+http://am.test:\(a.port)/a", "dnssrv+http://_alertmanager._tcp.am.test/b"])
        c.dnsClient = try DNSClient(nameserver: dns.nameserver, timeout: .milliseconds(500), attempts: 1)
        let s = try RunningSender(c)
        s.sender.send(alerts(3))
        #expect(await waitForAsync(10) { a.receivedAlerts.count == 3 && b.receivedAlerts.count == 3 })
        #expect(a.requests.first?.uri == "/a/api/v2/alerts")
        #expect(b.requests.first?.uri == "/b/api/v2/alerts")
        #expect(s.sender.alertmanagers == ["http://127.0.0.1:\(a.port)/a/api/v2/alerts", "http://127.0.0.1:\(b.port)/b/api/v2/alerts"])
        #expect(s.gauge("strata_alertmanagers_discovered") == 2)
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_alerts_sent_total", a.address) == 3 }, "sent counter")
        await s.finish()
    }
}
