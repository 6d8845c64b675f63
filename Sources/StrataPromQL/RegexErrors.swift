import StrataCore

/// Rewrites an RE2 compile error into the text Go's regexp package gives for the same
/// pattern, so PromQL parse errors read like Prometheus's (`error parsing regexp: missing
/// closing ): `(a``).
func goRegexErrorMessage(_ error: any Error) -> String {
    guard let e = error as? RE2Regex.CompileError else { return "\(error)" }
    return e.goDescription
}
