import NIOHTTP1
import Synchronization

/// Fault rates for a `FaultProxy` in front of moto, as the chaos harness takes them from its
/// arguments: each request independently gets a 500, a connection dropped before it is
/// forwarded, an answer lost after the upstream acted (half the body, then a dropped
/// connection — a truncated answer), a slow answer, or nothing.
public struct FaultRates: Sendable, CustomStringConvertible {
    public var error500: Double
    public var dropBefore: Double
    public var dropAfter: Double
    public var slow: Double
    public var slowMs: Int

    public init(error500: Double = 0, dropBefore: Double = 0, dropAfter: Double = 0, slow: Double = 0, slowMs: Int = 300) {
        self.error500 = error500
        self.dropBefore = dropBefore
        self.dropAfter = dropAfter
        self.slow = slow
        self.slowMs = slowMs
    }

    /// `total` of all requests faulted, split as the operator test did: about two
    /// thirds 500s, the rest dropped (before and after forwarding) or slow.
    public static func mix(_ total: Double) -> FaultRates {
        FaultRates(error500: total * 0.6, dropBefore: total * 0.1, dropAfter: total * 0.2, slow: total * 0.1)
    }

    public var total: Double { error500 + dropBefore + dropAfter + slow }

    public var description: String {
        "500s \(pct(error500)), dropped before \(pct(dropBefore)), answers lost \(pct(dropAfter)), slow \(pct(slow))"
    }

    private func pct(_ x: Double) -> String { "\((x * 1000).rounded() / 10)%" }
}

/// A seeded, switchable random plan: the same seed gives the same faults for the same
/// request numbers, so a failing soak run can be replayed; `enabled` turns faults off for
/// the phases that must see a healthy store (the final normal pass).
public final class FaultPlan: Sendable {
    public let rates: FaultRates
    public let seed: UInt64
    private let on = Atomic<Bool>(true)

    public init(rates: FaultRates, seed: UInt64) {
        self.rates = rates
        self.seed = seed
    }

    public var enabled: Bool {
        get { on.load(ordering: .relaxed) }
        set { on.store(newValue, ordering: .relaxed) }
    }

    public func setEnabled(_ v: Bool) { on.store(v, ordering: .relaxed) }

    /// The fault for request number `n` (SplitMix64 of seed and n, uniform in [0, 1)).
    public func fault(_ n: Int, _ head: HTTPRequestHead) -> FaultProxy.Fault {
        guard on.load(ordering: .relaxed) else { return .none }
        var z = seed &+ UInt64(n) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        var x = Double(z >> 11) / Double(1 << 53)
        if x < rates.error500 { return .error500 }
        x -= rates.error500
        if x < rates.dropBefore { return .dropBeforeForward }
        x -= rates.dropBefore
        if x < rates.dropAfter { return .dropMidBody }
        x -= rates.dropAfter
        if x < rates.slow { return .slow(milliseconds: rates.slowMs) }
        return .none
    }
}
