import ArgumentParser
import StrataPromQL

extension PromQLCompat {
    /// The value of a `--promql-compat` flag, or a usage error naming the accepted values.
    static func fromFlag(_ s: String) throws -> PromQLCompat {
        guard let c = PromQLCompat(flag: s) else {
            throw ValidationError("--promql-compat must be 3.14 or 2.42, got \"\(s)\"")
        }
        return c
    }
}
