import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataNotify

/// Alertmanagers that fail: 5xx and 429 are retried within the send timeout and counted,
/// other 4xx are not retried, a hanging one costs one send timeout per batch while a healthy
/// one still gets every alert, and a closed port is a counted error, never a stuck `send`.
@Suite(.serialized) struct FailureTests {
    @Test func requestIsWhatPrometheusSends() async throws {
        let am = try await FakeAlertmanager.start()
        defer { Task { await am.stop() } }
        var c = config(["http://ruler:p%40ss@\(am.address)/prefix/"])
        c.labelDrop = ["replica"]
        let s = try RunningSender(c)
        let a = Alert(labels: Labels(["alertname": "X", "replica": "r1"]), annotations: Labels(["summary": "s"]),
                      startsAt: 1_700_000_000_123, endsAt: 1_700_000_300_000, generatorURL: "http://q/graph")
        s.sender.send([a])
        #expect(await waitForAsync(5) { am.requests.count == 1 })
        await s.finish()
        let r = try #require(am.requests.first)
        #expect(r.method == "POST")
        #expect(r.uri == "/prefix/api/v2/alerts")
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.header("Authorization") == "Basic " + Data("ruler:p@ss".utf8).base64EncodedString())
        #expect(r.body == #"[{"annotations":{"summary":"s"},"endsAt":"2023-11-14T22:18:20.000Z","startsAt":"2023-11-14T22:13:20.123Z","generatorURL":"http://q/graph","labels":{"alertname":"X"}}]"#)
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_alerts_sent_total", am.address) == 1 }, "sent counter")
        #expect(try s.metrics.expectTimer("strata_alert_sender_latency_seconds", [("alertmanager", am.address)]).values.count == 1)
    }

    @Test func serverErrorsAreRetriedThenCounted() async throws {
        // Two 500s, then accepted: delivered, no error, two retries.
        let flaky = try await FakeAlertmanager.start { n in n <= 2 ? .status(500) : .status(200) }
        defer { Task { await flaky.stop() } }
        let s1 = try RunningSender(config(["http://\(flaky.address)"], timeout: .seconds(2)))
        s1.sender.send(alerts(2))
        #expect(await waitForAsync(5) { s1.counter("strata_alert_sender_alerts_sent_total", flaky.address) == 2 })
        await s1.finish()
        #expect(flaky.requests.count == 3)
        #expect(s1.counter("strata_alert_sender_retries_total", flaky.address) == 2)
        #expect(s1.counter("strata_alert_sender_errors_total", flaky.address) == 0)
        #expect(s1.counter("strata_alert_sender_alerts_dropped_total") == 0)

        // Always 500 (or 429): retried with backoff (0, 100, 300, 700 ms) until the 1 s send
        // timeout, then one error and the batch's alerts dropped.
        for code in [500, 503, 429] {
            let broken = try await FakeAlertmanager.start { _ in .status(code) }
            let s = try RunningSender(config(["http://\(broken.address)"], timeout: .seconds(1)))
            let start = ContinuousClock.now
            s.sender.send(alerts(3))
            #expect(await waitForAsync(5) { s.counter("strata_alert_sender_errors_total", broken.address) == 1 }, "\(code)")
            #expect(ContinuousClock.now - start < .milliseconds(2500), "\(code)")
            // Four on an idle machine; a slow request leaves time for fewer.
            #expect((3...4).contains(broken.requests.count), "\(code): \(broken.requests.count) requests")
            #expect(s.counter("strata_alert_sender_retries_total", broken.address) == Int64(broken.requests.count - 1), "\(code)")
            #expect(s.counter("strata_alert_sender_alerts_dropped_total") == 3, "\(code)")
            #expect(s.counter("strata_alert_sender_alerts_sent_total", broken.address) == 0, "\(code)")
            #expect(s.logs.count(.warning, "Sending alerts failed", containing: "\(code)") == 1, "\(code)")
            await s.finish()
            await broken.stop()
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let am = try await FakeAlertmanager.start { _ in .status(400) }
        defer { Task { await am.stop() } }
        let s = try RunningSender(config(["http://\(am.address)"], timeout: .seconds(2)))
        s.sender.send(alerts(2))
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_errors_total", am.address) == 1 })
        await s.finish()
        #expect(am.requests.count == 1)
        #expect(s.counter("strata_alert_sender_retries_total", am.address) == 0)
        #expect(s.counter("strata_alert_sender_alerts_dropped_total") == 2)
    }

    @Test func hangingAlertmanagerDoesNotStopAHealthyOne() async throws {
        let hanging = try await FakeAlertmanager.start { _ in .hang }
        let healthy = try await FakeAlertmanager.start()
        defer { Task { await hanging.stop(); await healthy.stop() } }
        let s = try RunningSender(config(["http://\(hanging.address)", "http://\(healthy.address)"], timeout: .seconds(1), batch: 5))
        let start = ContinuousClock.now
        let sent = alerts(15)
        s.sender.send(Array(sent[0..<10]))
        s.sender.send(Array(sent[10...]))
        let sendReturned = ContinuousClock.now - start
        #expect(sendReturned < .milliseconds(100), "send took \(sendReturned)")
        // Three batches, each held up by the hanging one for the 1 s send timeout, no more.
        #expect(await waitForAsync(10) { s.counter("strata_alert_sender_errors_total", hanging.address) == 3 })
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(2900) && took < .milliseconds(5000), "\(took)")
        #expect(healthy.receivedAlerts.map { $0["labels"]?.labels } == sent.map(\.labels))
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_alerts_sent_total", healthy.address) == 15 }, "sent counter")
        #expect(s.counter("strata_alert_sender_errors_total", healthy.address) == 0)
        #expect(s.counter("strata_alert_sender_alerts_dropped_total") == 0)
        #expect(hanging.requests.count == 3)
        // Three failures, one log line (at most one per Alertmanager per 10 s).
        #expect(s.logs.count(.warning, "Sending alerts failed", containing: hanging.address) == 1)
        await s.finish()
    }

    /// The client's deadline ends with the answer's head; a body that never comes is bounded
    /// by the send timeout too.
    @Test func stalledAnswerBodyTimesOut() async throws {
        let stalling = try await FakeAlertmanager.start { _ in .stallBody }
        defer { Task { await stalling.stop() } }
        let s = try RunningSender(config(["http://\(stalling.address)"], timeout: .seconds(1)))
        let start = ContinuousClock.now
        s.sender.send(alerts(2))
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_errors_total", stalling.address) == 1 })
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(900) && took < .milliseconds(2000), "\(took)")
        #expect(stalling.requests.count == 1)
        // The error is counted per Alertmanager first, the dropped batch after all have answered.
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_alerts_dropped_total") == 2 })
        await s.finish()
    }

    @Test func closedPortIsAnErrorNotAStuckSend() async throws {
        let port = try freePort()  // nothing listens there
        let address = "127.0.0.1:\(port)"
        let s = try RunningSender(config(["http://\(address)"], timeout: .seconds(1)))
        let start = ContinuousClock.now
        s.sender.send(alerts(1000))
        #expect(ContinuousClock.now - start < .milliseconds(200))
        // 10 batches of 100, each refused and retried for its 1 s.
        #expect(await waitForAsync(5) { s.counter("strata_alert_sender_errors_total", address) >= 1 })
        #expect(s.counter("strata_alert_sender_retries_total", address) >= 1)
        #expect(s.counter("strata_alert_sender_alerts_dropped_total") >= 100)
        #expect(s.logs.count(.warning, "Sending alerts failed", containing: address) == 1)
        let stopped = ContinuousClock.now
        await s.finish()
        // Stopping gives the rest one send timeout, then gives up on them.
        #expect(ContinuousClock.now - stopped < .milliseconds(2500))
        #expect(s.counter("strata_alert_sender_alerts_dropped_total") + s.counter("strata_alert_queue_alerts_dropped_total") == 1000)
        #expect(s.sender.queueLength == 0)
    }
}
