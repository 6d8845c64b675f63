import StrataStoreAPI

/// Which aggregates of downsampled chunks a selector needs, from the PromQL function around
/// it (chunk-encodings.md §5, as Thanos's querier decides): `min_over_time` needs only MIN,
/// `rate` only the reset-corrected COUNTER, anything else COUNT and SUM (averages). Native
/// histogram series get the same choice, as in Thanos's `aggrsFromFunc`: COUNTER (running
/// counter histograms) for rate/increase, SUM histograms, COUNT floats, averages otherwise;
/// MIN/MAX do not exist for them.
public enum AggregateChoice {
    public static func aggregates(forFunction f: String) -> [Thanos_Aggr] {
        if f == "min" || f.hasPrefix("min_") { return [.min] }
        if f == "max" || f.hasPrefix("max_") { return [.max] }
        if f == "count" || f.hasPrefix("count_") { return [.count] }
        if f.hasPrefix("sum_") { return [.sum] }
        switch f {
        case "increase", "rate", "irate", "resets": return [.counter]
        default: return [.count, .sum]
        }
    }

    /// Functions over counters: replica switches must not look like counter resets to them.
    public static func isCounterFunction(_ f: String) -> Bool {
        f == "rate" || f == "increase" || f == "irate" || f == "resets"
    }
}
