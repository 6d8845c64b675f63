import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataNotify

/// The queue in front of the sender: overflow drops the oldest alerts and counts them, and
/// stopping (or cancelling) the sender flushes what is queued, for one send timeout at most.
@Suite(.serialized) struct QueueTests {
    @Test func overflowDropsTheOldest() async throws {
        let am = try await FakeAlertmanager.start()
        defer { Task { await am.stop() } }
        var c = config(["http://\(am.address)"])
        c.queueCapacity = 5
        let s = try RunningSender(c, start: false)  // nothing is sent until `run`
        let all = alerts(14)
        s.sender.send(Array(all[0..<3]))
        s.sender.send(Array(all[3..<7]))  // 7 > 5: alerts 0 and 1 go
        #expect(s.sender.queueLength == 5)
        #expect(s.counter("strata_alert_queue_alerts_dropped_total") == 2)
        s.sender.send(Array(all[7..<14]))  // more than the capacity at once: its first 2 and all 5 queued go
        #expect(s.sender.queueLength == 5)
        #expect(s.counter("strata_alert_queue_alerts_dropped_total") == 9)
        #expect(s.counter("strata_alert_queue_alerts_pushed_total") == 14)
        #expect(s.gauge("strata_alert_queue_length") == 5)
        #expect(s.gauge("strata_alert_queue_capacity") == 5)
        #expect(s.logs.count(.warning, "queue full") == 1)  // rate-limited

        let task = Task { await s.sender.run() }
        #expect(await waitForAsync(5) { am.receivedAlerts.count == 5 })
        #expect(am.receivedAlerts.map { $0["labels"]?.labels } == all[9...].map(\.labels))
        #expect(s.counter("strata_alert_queue_alerts_popped_total") == 5)
        #expect(s.gauge("strata_alert_queue_length") == 0)
        s.sender.stop()
        await task.value
    }

    @Test func stopAndCancelFlushTheQueue() async throws {
        let am = try await FakeAlertmanager.start()
        defer { Task { await am.stop() } }
        // stop(): everything queued before it is sent before run returns.
        let s1 = try RunningSender(config(["http://\(am.address)"], batch: 2))
        let first = alerts(9, name: "S")
        s1.sender.send(first)
        await s1.finish()
        #expect(am.receivedAlerts.count == 9)
        #expect(s1.counter("strata_alert_queue_alerts_dropped_total") == 0)

        // Cancelling run (the service group on SIGTERM) does the same.
        let s2 = try RunningSender(config(["http://\(am.address)"], batch: 2))
        s2.sender.send(alerts(7, name: "C"))
        s2.task.cancel()
        await s2.task.value
        #expect(am.receivedAlerts.count == 16)
        #expect(await waitForAsync(5) { s2.counter("strata_alert_sender_alerts_sent_total", am.address) == 7 }, "sent counter")
    }

    @Test func flushOnStopIsBounded() async throws {
        let hanging = try await FakeAlertmanager.start { _ in .hang }
        defer { Task { await hanging.stop() } }
        let s = try RunningSender(config(["http://\(hanging.address)"], timeout: .seconds(1), batch: 2))
        s.sender.send(alerts(20))
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        await s.finish()
        let took = ContinuousClock.now - start
        #expect(took < .milliseconds(2000), "\(took)")
        // What could not be sent is counted: batches tried and refused, and the rest of the queue.
        #expect(s.counter("strata_alert_sender_alerts_dropped_total") + s.counter("strata_alert_queue_alerts_dropped_total") == 20)
        #expect(s.logs.count(.warning, "Alerts not sent before stopping") == 1)
    }
}
