/// A parsed template in Prometheus's template language (Go text/template plus Prometheus's
/// functions). Parsing checks every function and variable the way Go's Parse does, so a
/// rule file with `{{ $label.x }}` or `{{ foo }}` is refused at load time, not at alert time.
public struct Template: Sendable {
    public let name: String
    let text: [UInt8]
    let trees: [String: ListNode]
    let functions: [String: GoFunc]
    let missingKey: MissingKey

    /// Parses (and checks that every function exists, like Go's Parse); throws
    /// TemplateError with Go's message (`template: name:1: function "foo" not defined`).
    public init(name: String, text: String, functions: TemplateFunctionNames = .prometheus,
                missingKey: MissingKey = .zero) throws {
        self.name = name
        self.text = Array(text.utf8)
        self.missingKey = missingKey
        self.functions = functions.implementations
        do {
            trees = try Parser.parse(name: name, text: text, funcs: Set(self.functions.keys))
        } catch let e as ParseFailure {
            throw TemplateError(e.message)
        }
    }

    /// Runs the template on `data`. Errors read like Go's (`template: name:1:3: executing
    /// "name" at <humanize "a">: error calling humanize: …`). Bounded by `context.limits`.
    public func execute(data: TemplateValue, context: TemplateContext) async throws -> String {
        let executor = Executor(template: self, context: context)
        do {
            try await executor.run(data: data)
        } catch let e as ExecFailure {
            throw TemplateError(e.message)
        }
        return String(decoding: executor.out, as: UTF8.self)
    }
}

/// What the host provides while a template runs.
public struct TemplateContext: Sendable {
    /// Runs a PromQL instant query for `query`; nil → `query` fails like Prometheus's
    /// nil query function.
    public var query: (@Sendable (String) async throws -> [TemplateSample])?
    /// `externalURL()`.
    public var externalURL: String
    /// `pathPrefix()` (the path of the external URL).
    public var pathPrefix: String
    /// Evaluation time in seconds since the epoch: what `now` returns.
    public var timestamp: Double
    public var limits: TemplateLimits

    public init(query: (@Sendable (String) async throws -> [TemplateSample])? = nil, externalURL: String = "",
                pathPrefix: String = "", timestamp: Double = 0, limits: TemplateLimits = TemplateLimits()) {
        self.query = query
        self.externalURL = externalURL
        self.pathPrefix = pathPrefix
        self.timestamp = timestamp
        self.limits = limits
    }
}

/// Bounds on one execution, so a template cannot hang or exhaust the ruler.
public struct TemplateLimits: Sendable {
    /// Output (and any single string a function builds) may not exceed this.
    public var maxOutputBytes: Int
    /// Nodes walked plus commands evaluated.
    public var maxSteps: Int
    /// Nested `{{template}}` calls (Go allows 100000).
    public var maxTemplateDepth: Int

    public init(maxOutputBytes: Int = 1 << 20, maxSteps: Int = 1_000_000, maxTemplateDepth: Int = 1000) {
        self.maxOutputBytes = maxOutputBytes
        self.maxSteps = maxSteps
        self.maxTemplateDepth = maxTemplateDepth
    }
}

/// Go's `missingkey` option: what a missing map key yields.
public enum MissingKey: Sendable {
    /// Go's default: `<no value>` for every map.
    case invalid
    /// Prometheus's setting: the zero value of the map's element type ("" for label maps,
    /// `<no value>` for generic maps).
    case zero
    /// An execution error.
    case error
}

/// The functions a template may call. Parsing refuses any other name.
public struct TemplateFunctionNames: Sendable {
    public var names: Set<String>

    public init(_ names: Set<String>) { self.names = names }

    /// Go's builtins and every function of Prometheus's template FuncMap.
    public static let prometheus = TemplateFunctionNames(Builtins.names.union(PrometheusFunctions.table.keys))
    /// Go's builtins only.
    public static let goBuiltins = TemplateFunctionNames(Builtins.names)

    var implementations: [String: GoFunc] {
        var out: [String: GoFunc] = [:]
        for n in names {
            if let f = Builtins.table[n] ?? PrometheusFunctions.table[n] { out[n] = f }
        }
        return out
    }
}

public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
