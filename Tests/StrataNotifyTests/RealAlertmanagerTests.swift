import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataNotify

/// Against a real Alertmanager 0.25: what it lists is what was sent (labels, annotations,
/// start), alerts sent again with an end in the past are resolved, and HA rulers differing by
/// a replica label end up as one alert when the label is dropped.
@Suite(.serialized) struct RealAlertmanagerTests {
    @Test func firingAlertsArriveAndResolve() async throws {
        // Behind a route prefix, as behind a proxy: the URL's path is kept in front of /api/v2/alerts.
        guard let am = try await AlertmanagerServer.start(routePrefix: "/am") else { return }
        defer { am.stop() }
        let s = try RunningSender(config([am.url]))
        let now = currentTimeMillis()
        let sent = [
            Alert(labels: Labels(["alertname": "HighLatency", "job": "api", "severity": "page"]),
                  annotations: Labels(["summary": "p99 above 1s <&>", "runbook": "https://runbooks/x?a=1&b=2"]),
                  startsAt: now - 60_123, endsAt: now + 300_000, generatorURL: "http://query:9090/graph?g0.expr=up&g0.tab=1"),
            Alert(labels: Labels(["alertname": "DiskFull", "device": "sda1", "severity": "ticket"]),
                  annotations: Labels(["summary": "disk ünïcode full"]), startsAt: now - 1_000, endsAt: now + 300_000),
        ]
        s.sender.send(sent)
        var listed: [JSONValue] = []
        let arrived = try await waitForAsync(10) {
            listed = try am.alerts()
            return listed.count == 2
        }
        #expect(arrived, "Alertmanager lists \(listed.count) alerts; log: \(am.log)")
        for a in sent {
            let got = listed.first { $0["labels"]?.labels == a.labels }
            #expect(got != nil, "\(a.labels) not listed")
            guard let got else { continue }
            #expect(got["annotations"]?.labels == a.annotations)
            #expect(got["startsAt"]?.stringValue.flatMap(parseRFC3339) == a.startsAt)
            #expect(got["status"]?["state"]?.stringValue == "active")
            if !a.generatorURL.isEmpty { #expect(got["generatorURL"]?.stringValue == a.generatorURL) }
        }
        // Alertmanager may list the alerts before the sender has read its answer and counted.
        let counted = await waitForAsync(5) { s.counter("strata_alert_sender_alerts_sent_total", "127.0.0.1:\(am.port)") == 2 }
        #expect(counted, "sent counter \(s.counter("strata_alert_sender_alerts_sent_total", "127.0.0.1:\(am.port)"))")

        // The same alerts, ended: Alertmanager takes them as resolved.
        let ended = sent.map { a -> Alert in
            var a = a
            a.endsAt = currentTimeMillis() - 500
            return a
        }
        s.sender.send(ended)
        let resolved = try await waitForAsync(10) { try am.alerts(query: "active=true").isEmpty }
        let active = try am.alerts(query: "active=true")
        #expect(resolved, "still active: \(active)")
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_alerts_sent_total", "127.0.0.1:\(am.port)") == 4 }, "sent counter")
        #expect(s.counter("strata_alert_sender_errors_total", "127.0.0.1:\(am.port)") == 0)
        #expect(s.counter("strata_alert_queue_alerts_pushed_total") == 4)
        #expect(s.counter("strata_alert_queue_alerts_popped_total") == 4)
        #expect(s.gauge("strata_alertmanagers_discovered") == 1)
        await s.finish()
    }

    @Test func replicasDifferingByADroppedLabelAreOneAlert() async throws {
        guard let am = try await AlertmanagerServer.start() else { return }
        defer { am.stop() }
        func replica(_ name: String, drop: Bool) throws -> RunningSender {
            var c = config([am.url])
            c.externalLabels = Labels(["cluster": "c1", "replica": name])
            if drop { c.labelDrop = ["replica"] }
            return try RunningSender(c)
        }
        let a = try replica("a", drop: true), b = try replica("b", drop: true)
        let now = currentTimeMillis()
        // The rule's own labels carry the replica too (a ruler's `--label`s are on its series).
        func rule(_ r: String) -> Alert {
            Alert(labels: Labels(["alertname": "Dedup", "severity": "page", "replica": r]), annotations: Labels(["summary": "from \(r)"]),
                  startsAt: now - 30_000, endsAt: now + 300_000)
        }
        a.sender.send([rule("a")])
        b.sender.send([rule("b")])
        #expect(await waitForAsync(10) { a.counter("strata_alert_sender_alerts_sent_total", "127.0.0.1:\(am.port)") == 1
                && b.counter("strata_alert_sender_alerts_sent_total", "127.0.0.1:\(am.port)") == 1 })
        let listed = try am.alerts()
        #expect(listed.count == 1, "\(listed)")
        #expect(listed.first?["labels"]?.labels == Labels(["alertname": "Dedup", "cluster": "c1", "severity": "page"]))

        // Without the drop, a third replica is a second alert.
        let c = try replica("c", drop: false)
        c.sender.send([rule("c")])
        #expect(try await waitForAsync(10) { try am.alerts().count == 2 })
        #expect(try am.alerts().contains { $0["labels"]?.labels == Labels(["alertname": "Dedup", "cluster": "c1", "severity": "page", "replica": "c"]) })
        for s in [a, b, c] { await s.finish() }
    }
}
