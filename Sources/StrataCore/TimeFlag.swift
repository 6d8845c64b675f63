/// A time flag as Thanos accepts it (`--min-time`, `--max-time`): RFC3339, unix seconds, or a
/// duration relative to now with a sign, like `-2d` or `+1h`. Returns milliseconds.
public func parseTimeFlag(_ s: String, now: Int64 = currentTimeMillis()) throws -> Int64 {
    if let first = s.first, first == "-" || first == "+" {
        let d = try parseDuration(String(s.dropFirst()))
        return first == "-" ? now - d : now + d
    }
    return try parseTimestamp(s)
}
