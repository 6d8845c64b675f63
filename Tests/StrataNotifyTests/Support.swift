import Foundation
import Logging
import MetricsTestKit
import StrataCore
import StrataTestSupport
import Synchronization
@testable import StrataNotify

/// Collects log records so a test can count warnings.
final class LogCapture: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: String
    }

    let records = Mutex<[Record]>([])

    var logger: Logger {
        let sink = self
        var l = Logger(label: "test") { _ in Handler(sink: sink) }
        l.logLevel = .debug
        return l
    }

    func count(_ level: Logger.Level, _ message: String, containing: String = "") -> Int {
        records.withLock { $0.filter { $0.level == level && $0.message.contains(message) && (containing.isEmpty || $0.metadata.contains(containing)) }.count }
    }

    struct Handler: LogHandler {
        let sink: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let r = Record(level: event.level, message: "\(event.message)", metadata: "\(event.metadata ?? [:])")
            sink.records.withLock { $0.append(r) }
        }
    }
}

/// A sender under test with its own metrics and log, running until `finish`.
struct RunningSender {
    let sender: AlertSender
    let metrics: TestMetrics
    let logs: LogCapture
    let task: Task<Void, Never>

    init(_ config: AlertmanagerSenderConfig, start: Bool = true) throws {
        metrics = TestMetrics()
        logs = LogCapture()
        let s = try AlertSender(config: config, logger: logs.logger, factory: metrics)
        sender = s
        task = start ? Task { await s.run() } : Task {}
    }

    /// `stop()` and wait for `run` to return.
    func finish() async {
        sender.stop()
        await task.value
    }

    func counter(_ name: String, _ alertmanager: String? = nil) -> Int64 {
        let dims = alertmanager.map { [("alertmanager", $0)] } ?? []
        return (try? metrics.expectCounter(name, dims).totalValue) ?? 0
    }

    func gauge(_ name: String) -> Double? { try? metrics.expectGauge(name).lastValue }
}

func config(_ urls: [String], timeout: Duration = .seconds(5), batch: Int = 100) -> AlertmanagerSenderConfig {
    var c = AlertmanagerSenderConfig()
    c.urls = urls
    c.sendTimeout = timeout
    c.maxBatchSize = batch
    return c
}

/// `n` distinct firing alerts (`alertname=A<i>`), valid for five minutes.
func alerts(_ n: Int, name: String = "A", now: Int64 = currentTimeMillis()) -> [Alert] {
    (0..<n).map { i in
        Alert(labels: Labels(["alertname": "\(name)\(i)", "severity": "page"]), annotations: Labels(["summary": "number \(i)"]),
              startsAt: now - 60_000, endsAt: now + 300_000)
    }
}

extension JSONValue {
    /// A JSON object of strings (labels, annotations) as `Labels`.
    var labels: Labels {
        Labels((objectValue ?? []).map { Label($0.key, $0.value.stringValue ?? "") })
    }
}
