/// A Go value as a template sees it. Each case stands for one Go type because text/template's
/// behaviour (field lookup, missing keys, comparisons, `printf` verbs, error texts) depends on
/// the Go type, not only on the value: a label map (`map[string]string`) yields "" for a
/// missing key where a generic map (`map[string]interface {}`) yields `<no value>`.
public indirect enum TemplateValue: Sendable, Equatable {
    /// Go `string`.
    case string(String)
    /// Go `int`.
    case int(Int64)
    /// Go `uint64`.
    case uint(UInt64)
    /// Go `float64`.
    case float(Double)
    /// Go `bool`.
    case bool(Bool)
    /// Go `map[string]interface {}`: missing keys are `<no value>`.
    case map([String: TemplateValue])
    /// Go `map[string]string` (labels): missing keys are "" (Prometheus's missingkey=zero).
    case stringMap([String: String])
    /// Go `[]interface {}`.
    case list([TemplateValue])
    /// Prometheus's `*template.sample` (what `first` returns): `.Labels`, `.Value`.
    case sample(labels: [String: String], value: Double)
    /// Prometheus's `template.queryResult` (what `query` returns).
    case queryResult([TemplateSample])
    /// A Go struct, e.g. the data of an alert template.
    case record(TemplateRecord)
    /// Go `time.Time` (UTC), as `toTime` returns it.
    case time(TemplateTime)
    /// Go `time.Duration`, as `toDuration` returns it.
    case duration(TemplateDuration)
    /// html/template's `HTML` (what `safeHtml` returns); a string to text templates.
    case html(String)
    /// Go `nil`.
    case null
}

/// One element of a query result: the series' labels (including `__name__`) and its value.
public struct TemplateSample: Sendable, Equatable {
    public var labels: [String: String]
    public var value: Double
    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// A Go struct: its type as Go prints it (for error messages) and its fields in order.
public struct TemplateRecord: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: TemplateValue
        /// The field's declared type is `interface {}` (e.g. an alert's `Value`).
        public var isInterface: Bool
        public init(name: String, value: TemplateValue, isInterface: Bool = false) {
            self.name = name
            self.value = value
            self.isInterface = isInterface
        }
    }
    public var typeName: String
    public var fields: [Field]
    public init(typeName: String, fields: [Field]) {
        self.typeName = typeName
        self.fields = fields
    }
}

/// A Go `time.Time` in UTC: seconds since the Unix epoch and nanoseconds within the second.
public struct TemplateTime: Sendable, Equatable {
    public var seconds: Int64
    public var nanoseconds: Int32
    /// `*time.Time` (toTime's result) rather than `time.Time` (a method's result); only
    /// type names in messages differ.
    var isPointer: Bool
    public init(seconds: Int64, nanoseconds: Int32) {
        self.init(seconds: seconds, nanoseconds: nanoseconds, isPointer: false)
    }
    init(seconds: Int64, nanoseconds: Int32, isPointer: Bool) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.isPointer = isPointer
    }
}

/// A Go `time.Duration` (nanoseconds).
public struct TemplateDuration: Sendable, Equatable {
    public var nanoseconds: Int64
    var isPointer: Bool
    public init(nanoseconds: Int64) {
        self.init(nanoseconds: nanoseconds, isPointer: false)
    }
    init(nanoseconds: Int64, isPointer: Bool) {
        self.nanoseconds = nanoseconds
        self.isPointer = isPointer
    }
}

/// The reflect.Kind classes the executor branches on.
enum GoKind {
    case bool, int, uint, float, string, map, slice, `struct`, pointer, nilPointer
}

extension TemplateValue {
    /// Go's `reflect.Type.String()` of the value's type.
    var goTypeName: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .uint: return "uint64"
        case .float: return "float64"
        case .bool: return "bool"
        case .map: return "map[string]interface {}"
        case .stringMap: return "map[string]string"
        case .list: return "[]interface {}"
        case .sample: return "*template.sample"
        case .queryResult: return "template.queryResult"
        case .record(let r): return r.typeName
        case .time(let t): return t.isPointer ? "*time.Time" : "time.Time"
        case .duration(let d): return d.isPointer ? "*time.Duration" : "time.Duration"
        case .html: return "template.HTML"
        case .null: return "<nil>"
        }
    }

    var kind: GoKind {
        switch self {
        case .string, .html: return .string
        case .int: return .int
        case .uint: return .uint
        case .float: return .float
        case .bool: return .bool
        case .map, .stringMap: return .map
        case .list, .queryResult: return .slice
        case .sample: return .pointer
        case .record: return .struct
        case .time(let t): return t.isPointer ? .pointer : .struct
        case .duration(let d): return d.isPointer ? .pointer : .int
        case .null: return .nilPointer
        }
    }

    /// text/template's truth: false, 0, nil and empty strings, maps and slices are false.
    var isTruthy: Bool {
        switch self {
        case .string(let s), .html(let s): return !s.isEmpty
        case .int(let i): return i != 0
        case .uint(let u): return u != 0
        case .float(let f): return f != 0
        case .bool(let b): return b
        case .map(let m): return !m.isEmpty
        case .stringMap(let m): return !m.isEmpty
        case .list(let l): return !l.isEmpty
        case .queryResult(let q): return !q.isEmpty
        case .sample, .record, .time: return true
        case .duration(let d): return d.isPointer || d.nanoseconds != 0
        case .null: return false
        }
    }
}

/// The executor's reflect.Value: a value together with how it was reached. A value read
/// from an `interface {}` slot (an element of `.map` or `.list`, a sample's `.Value`) keeps
/// that static type until a pipeline ends, which Go shows in messages ("in type interface {}").
enum GoVal {
    /// The zero reflect.Value: a missing key, nil data.
    case invalid
    /// No final argument (the pipeline's first command).
    case missing
    /// A value of its own type; `.null` is a typed nil pointer.
    case concrete(TemplateValue)
    /// An `interface {}` holding a value; `.null` is the nil interface.
    case boxed(TemplateValue)

    var isMissing: Bool {
        if case .missing = self { return true }
        return false
    }

    /// Go's `indirectInterface`: the value inside an interface, or invalid for a nil one.
    var unboxed: GoVal {
        if case .boxed(let v) = self { return v == .null ? .invalid : .concrete(v) }
        return self
    }

    /// The dynamic value, or nil for invalid values and nil interfaces.
    var value: TemplateValue? {
        switch self {
        case .concrete(let v): return v
        case .boxed(let v): return v == .null ? nil : v
        case .invalid, .missing: return nil
        }
    }

    /// The value as an `interface {}` argument receives it: nil for invalid or nil.
    var asAny: TemplateValue {
        switch self {
        case .concrete(let v), .boxed(let v): return v
        case .invalid, .missing: return .null
        }
    }

    var goTypeName: String {
        switch self {
        case .boxed: return "interface {}"
        case .concrete(let v): return v.goTypeName
        case .invalid, .missing: return "<invalid>"
        }
    }
}
