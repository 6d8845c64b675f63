import Foundation
import Testing
@testable import StrataCore

/// `withTimeout` over the shared watchdog thread: limits that pass cancel the body and throw
/// `TimeoutError`; bodies that finish keep their answer; the caller's cancellation reaches
/// the body.
@Suite struct TimeoutTests {
    struct Boom: Error {}

    @Test func answerAndErrorOfABodyThatFinishes() async throws {
        let v = try await withTimeout(.seconds(5)) { 42 }
        #expect(v == 42)
        await #expect(throws: Boom.self) { try await withTimeout(.seconds(5)) { () async throws -> Int in throw Boom() } }
    }

    @Test func deadlineIsVisibleInsideTheBody() async throws {
        #expect(TaskDeadline.current == nil)
        let (covered, notCovered) = try await withTimeout(.seconds(10)) {
            (TaskDeadline.covers(.seconds(20)), TaskDeadline.covers(.seconds(1)))
        }
        #expect(covered)
        #expect(!notCovered)
    }

    /// Deadlines registered out of order each fire at their own time (the watchdog's heap),
    /// bodies that ignore nothing but cancellation are cut off.
    @Test func everyLimitFiresAtItsOwnTime() async throws {
        let limits = [180, 40, 120, 60, 20, 100, 80, 140].map { Duration.milliseconds($0) }
        let elapsed = await withTaskGroup(of: (Duration, Duration, Bool).self) { group in
            for limit in limits {
                group.addTask {
                    let start = ContinuousClock.now
                    do {
                        try await withTimeout(limit) { try await Task.sleep(for: .seconds(30)) }
                        return (limit, start.duration(to: .now), false)
                    } catch is TimeoutError {
                        return (limit, start.duration(to: .now), true)
                    } catch {
                        return (limit, start.duration(to: .now), false)
                    }
                }
            }
            var out: [(Duration, Duration, Bool)] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(elapsed.count == limits.count)
        for (limit, took, timedOut) in elapsed {
            #expect(timedOut, "limit \(limit)")
            #expect(took >= limit, "limit \(limit) fired after \(took)")
            #expect(took < limit + .seconds(2), "limit \(limit) fired after \(took)")
        }
    }

    @Test func cancellingTheCallerCancelsTheBody() async throws {
        let start = ContinuousClock.now
        let t = Task { try await withTimeout(.seconds(30)) { try await Task.sleep(for: .seconds(30)) } }
        try await Task.sleep(for: .milliseconds(50))
        t.cancel()
        await #expect(throws: CancellationError.self) { try await t.value }
        #expect(start.duration(to: .now) < .seconds(5))
    }

    /// Many short calls withdraw their deadlines; the watchdog keeps working after its heap
    /// has been compacted.
    @Test func manyShortCallsThenATimeout() async throws {
        for i in 0..<500 { #expect(try await withTimeout(.seconds(60)) { i } == i) }
        await #expect(throws: TimeoutError.self) {
            try await withTimeout(.milliseconds(30)) { try await Task.sleep(for: .seconds(30)) }
        }
    }
}
