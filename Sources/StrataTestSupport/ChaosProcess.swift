import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A service binary the chaos tests start and `kill -9` at a random moment.
public final class ChaosProcess: @unchecked Sendable {
    // Driven from one test task.
    public let process: Process
    public let log: String
    public let started = Date()
    public private(set) var killedAt: Date?

    public init(_ binary: String, _ args: [String]) throws {
        (process, log) = try startService(binary, args)
    }

    public var pid: Int32 { process.processIdentifier }
    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits (without blocking a thread of the cooperative pool, which the in-process fault
    /// proxy needs) until the process exits or `seconds` pass, then SIGKILLs it if it still
    /// runs. Returns the exit status, nil when it was killed.
    @discardableResult
    public func run(killAfter seconds: Double) async -> Int32? {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < end { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(pid, SIGKILL)
            killedAt = Date()
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits until the log holds `text` (true) or the process exits or `seconds` pass (false):
    /// lets a test aim its kill at the phase it wants to interrupt.
    public func waitForLog(_ text: String, seconds: Double) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end && process.isRunning {
            if logText.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return logText.contains(text)
    }

    /// SIGKILL now if it still runs (cleanup after a failed check).
    public func killIfRunning() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL)
        killedAt = Date()
        process.waitUntilExit()
    }

    /// The `ts=` of the first log line containing `text`, as a date.
    public func firstLogTime(containing text: String) -> Date? {
        for line in logText.split(separator: "\n") where line.contains(text) {
            guard let r = line.range(of: "ts=") else { continue }
            let value = line[r.upperBound...].prefix { $0 != " " }
            if let ms = parseRFC3339Millis(String(value)) { return Date(timeIntervalSince1970: Double(ms) / 1000) }
        }
        return nil
    }
}

/// Milliseconds of an RFC 3339 time as Strata's logs and lock objects write it.
func parseRFC3339Millis(_ s: String) -> Int64? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: s) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: s).map { Int64($0.timeIntervalSince1970 * 1000) }
}

/// Watches `strata-compact.lock` straight from moto every 100 ms and records every change
/// of holder; a takeover that happened while the previous holder's lease (its `expires`)
/// still ran is two compactors at once.
public final class LockWatch: Sendable {
    public struct Report: Sendable {
        public var takeovers = 0
        public var releases = 0
        public var violations: [String] = []
    }
    private let state = MutexBox(Report())
    private let task: Task<Void, Never>

    public init(bucket: ChaosS3, key: String = "strata-compact.lock") {
        let state = self.state
        let b = bucket.direct
        task = Task {
            var last: (owner: String, expires: Int64, released: Bool)?
            while !Task.isCancelled {
                if let bytes = try? await b.getBytes(key),
                   let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                   let owner = o["owner"] as? String, let exp = (o["expires"] as? String).flatMap(parseRFC3339Millis) {
                    let acquired = (o["acquired"] as? String).flatMap(parseRFC3339Millis) ?? exp
                    let released = o["released"] as? Bool ?? false
                    if let l = last, l.owner != owner {
                        state.update { r in
                            r.takeovers += 1
                            // 50 ms for the writer's clock reading before its request left.
                            if !l.released && acquired + 50 < l.expires {
                                r.violations.append("\(owner) took the lock at \(acquired) while \(l.owner)'s lease ran until \(l.expires)")
                            }
                        }
                    }
                    if released && last?.released == false { state.update { $0.releases += 1 } }
                    last = (owner, exp, released)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    public var report: Report { state.value }

    public func stop() async {
        task.cancel()
        await task.value
    }
}

/// A value behind a lock, for reports shared with a polling task.
public final class MutexBox<T: Sendable>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    public init(_ v: T) { self.v = v }
    public var value: T { lock.withLock { v } }
    public func update(_ f: (inout T) -> Void) { lock.withLock { f(&v) } }
}
