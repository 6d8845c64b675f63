/// A PromQL function's name and argument/return types, used by the type checker.
/// `variadic`: 0 = exact arity; n > 0 = the last argument may be omitted or repeated up to n
/// extra times; -1 = the last argument may repeat without limit (Prometheus's encoding).
public struct FunctionSignature: Sendable, Hashable {
    public let name: String
    public let argTypes: [ValueType]
    public let variadic: Int
    public let returnType: ValueType
    /// Only with `promql-experimental-functions` (3.x).
    public var experimental = false

    /// Every function of Prometheus 2.42, with the types from promql/parser/functions.go.
    public static let all: [String: FunctionSignature] = {
        let v = ValueType.vector, m = ValueType.matrix, s = ValueType.scalar, str = ValueType.string
        var list: [FunctionSignature] = []
        func f(_ name: String, _ args: [ValueType], _ variadic: Int = 0, _ ret: ValueType = .vector) {
            list.append(FunctionSignature(name: name, argTypes: args, variadic: variadic, returnType: ret))
        }
        for name in ["abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh",
                     "deg", "exp", "floor", "histogram_count", "histogram_sum", "ln", "log10", "log2", "rad",
                     "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "tan", "tanh", "timestamp"] {
            f(name, [v])
        }
        for name in ["absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv",
                     "idelta", "increase", "irate", "last_over_time", "max_over_time", "min_over_time",
                     "present_over_time", "rate", "resets", "stddev_over_time", "stdvar_over_time",
                     "sum_over_time"] {
            f(name, [m])
        }
        for name in ["days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year"] {
            f(name, [v], 1)
        }
        f("clamp", [v, s, s])
        f("clamp_max", [v, s])
        f("clamp_min", [v, s])
        f("histogram_fraction", [s, s, v])
        f("histogram_quantile", [s, v])
        f("holt_winters", [m, s, s])
        f("label_replace", [v, str, str, str, str])
        f("label_join", [v, str, str, str], -1)
        f("pi", [], 0, s)
        f("predict_linear", [m, s])
        f("quantile_over_time", [s, m])
        f("round", [v, s], 1)
        f("scalar", [v], 0, s)
        f("time", [], 0, s)
        f("vector", [s])
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }()

    /// The functions of a release: 3.14 renamed `holt_winters` to the experimental
    /// `double_exponential_smoothing` and added functions.
    public static func table(for compat: PromQLCompat) -> [String: FunctionSignature] {
        compat == .v3_14 ? all3 : all
    }

    static let all3: [String: FunctionSignature] = {
        var t = all
        t["holt_winters"] = nil
        let v = ValueType.vector, m = ValueType.matrix, str = ValueType.string
        func f(_ name: String, _ args: [ValueType], _ variadic: Int = 0, experimental: Bool = false) {
            var sig = FunctionSignature(name: name, argTypes: args, variadic: variadic, returnType: .vector)
            sig.experimental = experimental
            t[name] = sig
        }
        f("first_over_time", [m])
        for name in ["histogram_avg", "histogram_stddev", "histogram_stdvar"] { f(name, [v]) }
        do {
            var sig = FunctionSignature(name: "histogram_quantiles", argTypes: [v, str, .scalar, .scalar], variadic: 9, returnType: .vector)
            sig.experimental = true
            t[sig.name] = sig
        }
        f("double_exponential_smoothing", [m, .scalar, .scalar], experimental: true)
        for name in ["mad_over_time", "ts_of_first_over_time", "ts_of_last_over_time", "ts_of_max_over_time",
                     "ts_of_min_over_time"] {
            f(name, [m], experimental: true)
        }
        for name in ["start", "end", "range", "step"] {
            var sig = FunctionSignature(name: name, argTypes: [], variadic: 0, returnType: .scalar)
            sig.experimental = true
            t[name] = sig
        }
        f("info", [v, v], 1, experimental: true)
        for name in ["min_of", "max_of"] {
            var sig = FunctionSignature(name: name, argTypes: [.scalar, .scalar], variadic: 0, returnType: .scalar)
            sig.experimental = true
            t[name] = sig
        }
        f("sort_by_label", [v, str], -1, experimental: true)
        f("sort_by_label_desc", [v, str], -1, experimental: true)
        return t
    }()

    /// Functions whose result depends on the evaluation time even when every argument is
    /// fixed by `@` (Prometheus's AtModifierUnsafeFunctions).
    public static let atModifierUnsafe: Set<String> = [
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
        "predict_linear", "time", "timestamp",
        // 3.x query-context functions (not functions in 2.42, so no change there).
        "start", "end", "range", "step",
    ]
}
