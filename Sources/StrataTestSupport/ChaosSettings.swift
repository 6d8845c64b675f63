import Foundation

/// How long and how hard a chaos test runs. CI runs the short mode (the defaults); the
/// soak scripts (scripts/chaos-*.sh) set `CHAOS_TRIALS`, `CHAOS_FAULTS` (share of S3
/// requests faulted, 0.10 = 10%) and `CHAOS_SEED` in the environment of the same tests.
public struct ChaosSettings: Sendable {
    public var trials: Int
    public var faults: Double
    public var seed: UInt64
    /// Where the soak scripts want the summary line (appended), besides stdout.
    public var summaryFile: String?

    public static func fromEnvironment(defaultTrials: Int, defaultFaults: Double = 0.10) -> ChaosSettings {
        let env = ProcessInfo.processInfo.environment
        return ChaosSettings(trials: env["CHAOS_TRIALS"].flatMap(Int.init) ?? defaultTrials,
                             faults: env["CHAOS_FAULTS"].flatMap(Double.init) ?? defaultFaults,
                             seed: env["CHAOS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(1 << 40)),
                             summaryFile: env["CHAOS_SUMMARY"])
    }

    /// Prints the summary line and appends it to `CHAOS_SUMMARY` when set.
    public func report(_ line: String) {
        print(line)
        guard let summaryFile else { return }
        if let h = FileHandle(forWritingAtPath: summaryFile) {
            h.seekToEndOfFile()
            h.write(Data((line + "\n").utf8))
            try? h.close()
        } else {
            try? (line + "\n").write(toFile: summaryFile, atomically: true, encoding: .utf8)
        }
    }
}
