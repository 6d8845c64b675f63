import StrataCore

/// The PromQL value types, as the type checker and the evaluator see them.
public enum ValueType: String, Sendable {
    case scalar, vector, matrix, string

    /// The name Prometheus uses in type errors ("instant vector", "range vector").
    public var documented: String {
        switch self {
        case .scalar: return "scalar"
        case .vector: return "instant vector"
        case .matrix: return "range vector"
        case .string: return "string"
        }
    }
}

/// The `@` modifier: a fixed timestamp (ms) or `start()`/`end()` of the query, resolved at
/// evaluation time.
public enum AtModifier: Sendable, Equatable {
    case timestamp(Int64)
    case start
    case end
}

/// `metric{a="b"} offset 5m @ 100`. `id` identifies the selector so series fetched before
/// evaluation can be found again; it is unique within one parsed expression.
public struct VectorSelector: Sendable {
    public var name: String
    public var matchers: [Matcher]
    /// Milliseconds; negative offsets look into the future.
    public var offset: Int64
    public var at: AtModifier?
    public var id: Int
    /// 3.x: a range (of the matrix selector holding this) or offset written with `step()` or
    /// `range()`, resolved before evaluation; `range`/`offset` hold placeholders until then.
    public var deferredRange: DurationTerm? = nil
    public var deferredOffset: DurationTerm? = nil
    /// 3.x extended range selectors (experimental): `anchored` takes the last sample before a
    /// range's start as its baseline; `smoothed` interpolates values at the range's (or an
    /// instant selector's) edges from the samples around them.
    public var anchored = false
    public var smoothed = false
    /// Where the selector starts, for annotations.
    public var pos: SourcePos? = nil
    /// `name` comes from a `__name__` matcher, not from a name written before the braces.
    public var nameFromMatcher = false
    /// 3.x: the range (of the matrix selector holding this) and offset as written when they
    /// are duration expressions, for printing (see DurationSyntax).
    public var rangeSyntax: DurationSyntax? = nil
    public var offsetSyntax: DurationSyntax? = nil
}

/// `expr[range:step] offset d @ t`. `step` is 0 when omitted (the engine's default applies).
public struct SubqueryExpr: Sendable {
    public var expr: Expr
    public var range: Int64
    public var step: Int64
    public var offset: Int64
    public var at: AtModifier?
    /// 3.x: range, step or offset written with `step()` or `range()` (see VectorSelector).
    public var deferredRange: DurationTerm? = nil
    public var deferredStep: DurationTerm? = nil
    public var deferredOffset: DurationTerm? = nil
    /// 3.x: range, step and offset as written when they are duration expressions.
    public var rangeSyntax: DurationSyntax? = nil
    public var stepSyntax: DurationSyntax? = nil
    public var offsetSyntax: DurationSyntax? = nil
}

public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^"
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    case and, or, unless, atan2
    /// 3.x: `h </ x` keeps a histogram's observations below x, `h >/ x` those above.
    case trimUpper = "</", trimLower = ">/"

    public var isComparison: Bool {
        switch self {
        case .eql, .neq, .gtr, .lss, .gte, .lte: return true
        default: return false
        }
    }

    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }

    public var isTrim: Bool { self == .trimUpper || self == .trimLower }

    /// Binding strength (higher binds tighter), per Prometheus's yacc precedence table.
    var precedence: Int {
        switch self {
        case .or: return 1
        case .and, .unless: return 2
        case .eql, .neq, .gtr, .lss, .gte, .lte, .trimUpper, .trimLower: return 3
        case .add, .sub: return 4
        case .mul, .div, .mod, .atan2: return 5
        case .pow: return 6
        }
    }

    var rightAssociative: Bool { self == .pow }

    /// Arithmetic drops the metric name; comparisons and set operators keep it. `atan2`
    /// keeps it in 2.42 and drops it in 3.x (it changes the metric's meaning like `/`).
    func dropsMetricName(_ compat: PromQLCompat) -> Bool {
        switch self {
        case .add, .sub, .mul, .div, .pow, .mod: return true
        case .atan2: return compat == .v3_14
        default: return false
        }
    }
}

public enum VectorMatchCardinality: Sendable { case oneToOne, manyToOne, oneToMany, manyToMany }

/// `on(...)`/`ignoring(...)` with optional `group_left/right(...)`.
public struct VectorMatching: Sendable {
    public var card: VectorMatchCardinality
    public var matchingLabels: [String]
    public var on: Bool
    public var include: [String]
    /// 3.x `fill`/`fill_left`/`fill_right` (experimental): the value a missing left or right
    /// sample takes, so unmatched series still produce a result. Like Prometheus, these apply
    /// to the sides after group_right swaps them.
    public var fillLeft: Double? = nil
    public var fillRight: Double? = nil
}

public struct BinaryExpr: Sendable {
    public var op: BinaryOp
    public var lhs: Expr
    public var rhs: Expr
    /// Set when both sides are instant vectors.
    public var matching: VectorMatching?
    public var returnBool: Bool
    /// Where the expression (its left-hand side) starts, for annotations.
    public var pos: SourcePos? = nil
}

public enum AggregateOp: String, Sendable, CaseIterable {
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk
    case countValues = "count_values"
    case quantile
    /// 3.x, experimental.
    case limitk
    case limitRatio = "limit_ratio"

    /// Aggregations that take a parameter before the vector.
    var hasParam: Bool {
        switch self {
        case .topk, .bottomk, .quantile, .countValues, .limitk, .limitRatio: return true
        default: return false
        }
    }
}

public struct AggregateExpr: Sendable {
    public var op: AggregateOp
    public var expr: Expr
    public var param: Expr?
    public var grouping: [String]
    public var without: Bool
    /// Where the aggregation, its vector argument and its parameter start, for annotations.
    public var pos: SourcePos? = nil
    public var exprPos: SourcePos? = nil
    public var paramPos: SourcePos? = nil
}

public struct Call: Sendable {
    public var function: FunctionSignature
    public var args: [Expr]
    /// Where the call and each argument start, for annotations.
    public var pos: SourcePos? = nil
    public var argPos: [SourcePos] = []
    /// info(): the id under which the info series it joins are selected.
    public var infoSeriesID: Int? = nil

    func argPosition(_ i: Int) -> SourcePos? { i < argPos.count ? argPos[i] : nil }
}

public enum UnaryOp: String, Sendable { case plus = "+", minus = "-" }

/// A PromQL expression tree. Immutable and Sendable, so a parsed query can be cached and
/// evaluated concurrently.
public indirect enum Expr: Sendable {
    case number(Double)
    case string(String)
    case vectorSelector(VectorSelector)
    case matrixSelector(VectorSelector, range: Int64)
    case subquery(SubqueryExpr)
    case paren(Expr)
    case unary(UnaryOp, Expr)
    case binary(BinaryExpr)
    case call(Call)
    case aggregate(AggregateExpr)
    /// Evaluated once at the evaluator's start and repeated at every step (the engine
    /// inserts these around sub-trees fixed by `@`, as Prometheus's PreprocessExpr does).
    case stepInvariant(Expr)

    public var type: ValueType {
        switch self {
        case .number: return .scalar
        case .string: return .string
        case .vectorSelector: return .vector
        case .matrixSelector, .subquery: return .matrix
        case .paren(let e), .stepInvariant(let e): return e.type
        case .unary(_, let e): return e.type
        case .binary(let b):
            return b.lhs.type == .scalar && b.rhs.type == .scalar ? .scalar : .vector
        case .call(let c): return c.function.returnType
        case .aggregate: return .vector
        }
    }

    /// Strips parentheses and step-invariant wrappers.
    var unwrapped: Expr {
        switch self {
        case .paren(let e), .stepInvariant(let e): return e.unwrapped
        default: return self
        }
    }
}
