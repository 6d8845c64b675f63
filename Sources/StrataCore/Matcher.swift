/// The four Prometheus label matcher types.
public enum MatchType: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case regexMatch = "=~"
    case regexNoMatch = "!~"
}

/// A label matcher with Prometheus semantics: a missing label has the value "", so `a=""`
/// selects series without `a`; regexes are RE2, anchored at both ends.
public struct Matcher: Sendable, Hashable, CustomStringConvertible {
    public let type: MatchType
    public let name: String
    public let value: String
    /// Compiled once; nil for equality matchers.
    public let regex: RE2Regex?
    /// For regexes that are a plain alternation of literals (`a|b|c`): the literal set,
    /// which index readers use to look postings up directly instead of scanning values.
    public let setMatches: [String]?

    public init(_ type: MatchType, _ name: String, _ value: String) throws {
        self.type = type
        self.name = name
        self.value = value
        switch type {
        case .equal, .notEqual:
            regex = nil
            setMatches = nil
        case .regexMatch, .regexNoMatch:
            regex = try RE2Regex("^(?:" + value + ")$")
            setMatches = Matcher.literalAlternation(value)
        }
    }

    public func matches(_ v: String) -> Bool {
        switch type {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regexMatch: return regex!.fullMatch(v)
        case .regexNoMatch: return !regex!.fullMatch(v)
        }
    }

    /// True when this matcher accepts the empty string, i.e. series lacking the label.
    public var matchesEmpty: Bool { matches("") }

    public var description: String { name + type.rawValue + goQuote(value) }

    public static func == (a: Matcher, b: Matcher) -> Bool {
        a.type == b.type && a.name == b.name && a.value == b.value
    }

    public func hash(into h: inout Hasher) {
        h.combine(type)
        h.combine(name)
        h.combine(value)
    }

    /// `a|b|c` made of characters without regex meaning → ["a","b","c"]; otherwise nil.
    static func literalAlternation(_ re: String) -> [String]? {
        let special: Set<Character> = ["\\", ".", "+", "*", "?", "(", ")", "[", "]", "{", "}", "^", "$"]
        if re.contains(where: { special.contains($0) }) { return nil }
        return re.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }
}

extension Labels {
    /// True when every matcher accepts this label set.
    public func matches(_ matchers: [Matcher]) -> Bool {
        for m in matchers where !m.matches(self[m.name]) { return false }
        return true
    }
}
