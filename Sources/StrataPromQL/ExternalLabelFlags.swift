import StrataCore

extension PromQL {
    /// Thanos's `--label` values, `name="value"` (the value a quoted string), as labels — the
    /// external labels of the ruler and the receiver.
    public static func parseExternalLabelFlags(_ flags: [String]) throws -> Labels {
        var out: [Label] = []
        for f in flags {
            let ms: [Matcher]
            do { ms = try parseMetricSelector("{" + f + "}") } catch {
                throw ConfigError("--label \(f): must be name=\"value\" (\(error))")
            }
            guard ms.count == 1, ms[0].type == .equal, !f.contains("__name__") else {
                throw ConfigError("--label \(f): must be one name=\"value\" pair")
            }
            out.append(Label(ms[0].name, ms[0].value))
        }
        return Labels(out)
    }
}
