import StrataCore

/// Rewrites an RE2 compile error into the text Go's regexp package gives for the same
/// pattern, so PromQL parse errors read like Prometheus's (`error parsing regexp: missing
/// closing ): `(a``).
func goRegexErrorMessage(_ error: any Error) -> String {
    guard let e = error as? RE2Regex.CompileError else { return "\(error)" }
    let table: [(String, String)] = [
        ("missing ): ", "missing closing )"),
        ("missing ]: ", "missing closing ]"),
        ("unexpected ): ", "unexpected )"),
        ("invalid escape sequence: ", "invalid escape sequence"),
        ("invalid character class range: ", "invalid character class range"),
        ("invalid character class: ", "invalid character class"),
        ("missing argument to repetition operator: ", "missing argument to repetition operator"),
        ("bad repetition operator: ", "invalid nested repetition operator"),
        ("bad repetition count: ", "invalid repeat count"),
        ("invalid repetition size: ", "invalid repeat count"),
        ("invalid named capture group: ", "invalid named capture"),
        ("invalid perl operator: ", "invalid or unsupported Perl syntax"),
        ("trailing \\: ", "trailing backslash at end of expression"),
        ("invalid UTF-8: ", "invalid UTF-8"),
    ]
    for (prefix, goText) in table where e.message.hasPrefix(prefix) {
        let arg = String(e.message.dropFirst(prefix.count))
        return "error parsing regexp: \(goText): `\(arg)`"
    }
    return "\(error)"
}
