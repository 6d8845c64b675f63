
/// Thanos's `ApplyCounterResets` (chunk-encodings.md §4.3): turns the counter sub-chunks of
/// consecutive AggrChunks into one monotonic series. A sample repeating the previous
/// timestamp is the "true last raw value" marker: it updates the value a reset is detected
/// against but emits nothing, so resets across chunk boundaries are not lost.
public struct CounterResetApplier {
    public private(set) var total = 0.0
    public private(set) var lastT = Int64.min
    public private(set) var lastV = 0.0
    private var started = false

    public init() {}

    /// Feeds one sample; returns the corrected sample to emit, if any.
    public mutating func add(_ t: Int64, _ v: Double) -> (Int64, Double)? {
        if v.isNaN { return nil }
        if !started {
            started = true
            total = v
            lastT = t
            lastV = v
            return (t, total)
        }
        if t > lastT {
            total += v >= lastV ? v - lastV : v
            lastT = t
            lastV = v
            return (t, total)
        }
        if t == lastT { lastV = v }
        return nil
    }
}
