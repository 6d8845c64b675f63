import StrataCore

/// Executes a parsed template the way Go's text/template does. The structure follows Go's
/// exec.go closely on purpose: error messages name "the node being evaluated", and which
/// node that is depends on the exact order of evaluation (`executing "x" at <"missing">`
/// for an error found after an argument was evaluated), so the order is kept step by step.
struct ExecFailure: Error {
    let message: String
}

/// A function's error: becomes `error calling <name>: <message>`.
struct FuncError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

enum LoopControl: Error { case breakLoop, continueLoop }

/// The static type a function parameter declares (what Go's reflection checks arguments
/// against before the call).
enum GoParam: Equatable, Sendable {
    case string, float64, int, uint64, bool, any, value, sample, queryResult, duration, time

    var name: String {
        switch self {
        case .string: return "string"
        case .float64: return "float64"
        case .int: return "int"
        case .uint64: return "uint64"
        case .bool: return "bool"
        case .any: return "interface {}"
        case .value: return "reflect.Value"
        case .sample: return "*template.sample"
        case .queryResult: return "template.queryResult"
        case .duration: return "time.Duration"
        case .time: return "time.Time"
        }
    }

    var canBeNil: Bool { self == .any || self == .value || self == .sample || self == .queryResult }

    var zero: GoVal {
        switch self {
        case .any: return .boxed(.null)
        case .sample: return .concrete(.null)
        case .queryResult: return .concrete(.queryResult([]))
        default: return .invalid
        }
    }
}

/// What a function implementation may use: the host's context and per-execution caches.
final class CallEnv {
    let context: TemplateContext
    var regexCache: [String: Result<RE2SubmatchRegex, FuncError>] = [:]
    init(context: TemplateContext) { self.context = context }
    var limit: Int { context.limits.maxOutputBytes }
}

/// A template function: Go signature (fixed parameters, optional variadic element type)
/// and implementation.
struct GoFunc: Sendable {
    let params: [GoParam]
    let variadic: GoParam?
    let impl: @Sendable (CallEnv, [GoVal]) async throws -> GoVal

    init(_ params: [GoParam], variadic: GoParam? = nil, _ impl: @escaping @Sendable (CallEnv, [GoVal]) async throws -> GoVal) {
        self.params = params
        self.variadic = variadic
        self.impl = impl
    }
}

final class Executor {
    private let trees: [String: ListNode]
    private let text: [UInt8]
    private let parseName: String
    private let funcs: [String: GoFunc]
    private let builtinNames: Set<String>
    private let missingKey: MissingKey
    private let env: CallEnv
    private let limits: TemplateLimits
    private var tmplName: String
    private var node: (any Node)?
    private var vars: [(name: String, value: GoVal)] = []
    private var depth = 0
    private var steps = 0
    private(set) var out: [UInt8] = []

    init(template: Template, context: TemplateContext) {
        trees = template.trees
        text = template.text
        parseName = template.name
        funcs = template.functions
        builtinNames = Builtins.names
        missingKey = template.missingKey
        env = CallEnv(context: context)
        limits = context.limits
        tmplName = template.name
    }

    func run(data: TemplateValue) async throws {
        let root: GoVal = data == .null ? .invalid : .concrete(data)
        vars = [("$", root)]
        guard let tree = trees[parseName] else {
            throw errorf("\(GoStrconv.quote(parseName)) is an incomplete or empty template")
        }
        try await walk(root, tree)
    }

    // MARK: errors and bounds

    private func at(_ n: any Node) { node = n }

    func errorf(_ msg: String) -> ExecFailure {
        guard let node else { return ExecFailure(message: "template: \(tmplName): \(msg)") }
        let pos = min(node.pos, text.count)
        let before = text[0..<pos]
        let line = 1 + before.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        var col = pos
        if let nl = before.lastIndex(of: 0x0A) { col = pos - (nl + 1) }
        return ExecFailure(message: "template: \(parseName):\(line):\(col): executing \(GoStrconv.quote(tmplName)) at <\(node.goString)>: \(msg)")
    }

    private func step() throws {
        steps += 1
        if steps > limits.maxSteps {
            throw errorf("execution stopped after \(limits.maxSteps) steps")
        }
        if steps & 1023 == 0 && Task.isCancelled { throw errorf("execution cancelled") }
    }

    private func write(_ s: String) throws {
        out.append(contentsOf: s.utf8)
        if out.count > limits.maxOutputBytes {
            throw errorf("output exceeds \(limits.maxOutputBytes) bytes")
        }
    }

    // MARK: variables

    private func pop(_ mark: Int) {
        if vars.count > mark { vars.removeLast(vars.count - mark) }
    }

    private func setVar(_ name: String, _ value: GoVal) throws {
        for i in stride(from: vars.count - 1, through: 0, by: -1) where vars[i].name == name {
            vars[i].value = value
            return
        }
        throw errorf("undefined variable: \(name)")
    }

    private func varValue(_ name: String) throws -> GoVal {
        for i in stride(from: vars.count - 1, through: 0, by: -1) where vars[i].name == name {
            return vars[i].value
        }
        throw errorf("undefined variable: \(name)")
    }

    // MARK: walk

    private func walk(_ dot: GoVal, _ n: any Node) async throws {
        try step()
        at(n)
        switch n {
        case let a as ActionNode:
            let val = try await evalPipeline(dot, a.pipe)
            if a.pipe.decl.isEmpty { try printValue(a, val) }
        case is BreakNode:
            throw LoopControl.breakLoop
        case is ContinueNode:
            throw LoopControl.continueLoop
        case let b as BranchNode:
            if b.kind == .range {
                try await walkRange(dot, b)
            } else {
                try await walkIfOrWith(b, dot)
            }
        case let l as ListNode:
            for child in l.nodes { try await walk(dot, child) }
        case let t as TemplateNode:
            try await walkTemplate(dot, t)
        case let t as TextNode:
            try write(t.text)
        default:
            throw errorf("unknown node: \(n.goString)")
        }
    }

    private func walkIfOrWith(_ b: BranchNode, _ dot: GoVal) async throws {
        let mark = vars.count
        defer { pop(mark) }
        let val = try await evalPipeline(dot, b.pipe)
        if Self.truth(val) {
            try await walk(b.kind == .with ? val : dot, b.list)
        } else if let e = b.elseList {
            try await walk(dot, e)
        }
    }

    static func truth(_ v: GoVal) -> Bool {
        switch v.unboxed {
        case .concrete(let x): return x.isTruthy
        default: return false
        }
    }

    private func walkRange(_ dot: GoVal, _ r: BranchNode) async throws {
        at(r)
        let mark0 = vars.count
        defer { pop(mark0) }
        let val = Self.indirect(try await evalPipeline(dot, r.pipe)).value
        let mark = vars.count
        let decl = r.pipe.decl
        func oneIteration(_ index: GoVal, _ elem: GoVal) async throws {
            if !decl.isEmpty {
                if r.pipe.isAssign {
                    try setVar(decl[0].ident[0], decl.count > 1 ? index : elem)
                } else {
                    vars[vars.count - 1].value = elem
                }
            }
            if decl.count > 1 {
                if r.pipe.isAssign {
                    try setVar(decl[1].ident[0], elem)
                } else {
                    vars[vars.count - 2].value = index
                }
            }
            defer { pop(mark) }
            do {
                try await walk(elem, r.list)
            } catch LoopControl.continueLoop {}
        }
        do {
            switch val {
            case .concrete(.list(let l)) where !l.isEmpty:
                for (i, e) in l.enumerated() { try await oneIteration(.concrete(.int(Int64(i))), .boxed(e)) }
                return
            case .concrete(.queryResult(let q)) where !q.isEmpty:
                for (i, s) in q.enumerated() {
                    try await oneIteration(.concrete(.int(Int64(i))), .concrete(.sample(labels: s.labels, value: s.value)))
                }
                return
            case .concrete(.map(let m)) where !m.isEmpty:
                for k in m.keys.sorted(by: goLess) { try await oneIteration(.concrete(.string(k)), .boxed(m[k]!)) }
                return
            case .concrete(.stringMap(let m)) where !m.isEmpty:
                for k in m.keys.sorted(by: goLess) { try await oneIteration(.concrete(.string(k)), .concrete(.string(m[k]!))) }
                return
            case .concrete(.int), .concrete(.uint), .concrete(.duration):
                if decl.count > 1 { throw errorf("can't use \(try formatV(val)) to iterate over more than one variable") }
                let count: UInt64
                let element: (UInt64) -> TemplateValue
                switch val {
                case .concrete(.int(let n)):
                    count = n > 0 ? UInt64(n) : 0
                    element = { .int(Int64($0)) }
                case .concrete(.uint(let n)):
                    count = n
                    element = { .uint($0) }
                case .concrete(.duration(let d)):
                    count = d.nanoseconds > 0 ? UInt64(d.nanoseconds) : 0
                    element = { .duration(TemplateDuration(nanoseconds: Int64($0))) }
                default:
                    count = 0
                    element = { .uint($0) }
                }
                if count > 0 {
                    var i: UInt64 = 0
                    while i < count {
                        try await oneIteration(.invalid, .concrete(element(i)))
                        i += 1
                    }
                    return
                }
            case .concrete(.list), .concrete(.queryResult), .concrete(.map), .concrete(.stringMap), .invalid:
                break
            default:
                throw errorf("range can't iterate over \(try formatV(val))")
            }
        } catch LoopControl.breakLoop {
            return
        }
        if let e = r.elseList { try await walk(dot, e) }
    }

    private func walkTemplate(_ dot: GoVal, _ t: TemplateNode) async throws {
        at(t)
        guard let tree = trees[t.name] else { throw errorf("template \(GoStrconv.quote(t.name)) not defined") }
        if depth >= limits.maxTemplateDepth {
            throw errorf("exceeded maximum template depth (\(limits.maxTemplateDepth))")
        }
        let newDot = try await evalPipeline(dot, t.pipe)
        let saved = (vars, tmplName, depth, node)
        vars = [("$", newDot)]
        tmplName = t.name
        depth += 1
        defer { (vars, tmplName, depth, node) = saved }
        try await walk(newDot, tree)
    }

    // MARK: pipelines and commands

    private func evalPipeline(_ dot: GoVal, _ pipe: PipeNode?) async throws -> GoVal {
        guard let pipe else { return .invalid }
        at(pipe)
        var value: GoVal = .missing
        for cmd in pipe.cmds {
            try step()
            value = try await evalCommand(dot, cmd, value)
            if case .boxed = value { value = value.unboxed }
        }
        for v in pipe.decl {
            if pipe.isAssign {
                try setVar(v.ident[0], value)
            } else {
                vars.append((v.ident[0], value))
            }
        }
        return value
    }

    private func notAFunction(_ args: [any Node]?, _ final: GoVal) throws {
        let args = args ?? []
        if args.count > 1 || !final.isMissing {
            throw errorf("can't give argument to non-function \(args.first?.goString ?? "")")
        }
    }

    private func evalCommand(_ dot: GoVal, _ cmd: CommandNode, _ final: GoVal) async throws -> GoVal {
        let first = cmd.args[0]
        switch first {
        case let f as FieldNode: return try await evalFieldNode(dot, f, cmd.args, final)
        case let c as ChainNode: return try await evalChainNode(dot, c, cmd.args, final)
        case let i as IdentifierNode: return try await evalFunction(dot, i, cmd, cmd.args, final)
        case let p as PipeNode:
            try notAFunction(cmd.args, final)
            return try await evalPipeline(dot, p)
        case let v as VariableNode: return try await evalVariableNode(dot, v, cmd.args, final)
        default: break
        }
        at(first)
        try notAFunction(cmd.args, final)
        switch first {
        case let b as BoolNode: return .concrete(.bool(b.value))
        case is DotNode: return dot
        case is NilNode: throw errorf("nil is not a command")
        case let n as NumberNode: return try idealConstant(n)
        case let s as StringNode: return .concrete(.string(s.text))
        default: throw errorf("can't evaluate command \(GoStrconv.quote(first.goString))")
        }
    }

    private func idealConstant(_ c: NumberNode) throws -> GoVal {
        at(c)
        let t = c.text
        let isHexInt = t.count > 2 && t.hasPrefix("0") && (t.dropFirst().first == "x" || t.dropFirst().first == "X") && !t.contains(where: { $0 == "p" || $0 == "P" })
        let isRuneInt = t.hasPrefix("'")
        if c.isFloat && !isHexInt && !isRuneInt && t.contains(where: { ".eEpP".contains($0) }) {
            return .concrete(.float(c.float64))
        }
        if c.isInt { return .concrete(.int(c.int64)) }
        if c.isUint { throw errorf("\(t) overflows int") }
        return .invalid
    }

    private func evalFieldNode(_ dot: GoVal, _ f: FieldNode, _ args: [any Node]?, _ final: GoVal) async throws -> GoVal {
        at(f)
        return try await evalFieldChain(dot, dot, f, f.ident, args, final)
    }

    private func evalChainNode(_ dot: GoVal, _ chain: ChainNode, _ args: [any Node]?, _ final: GoVal) async throws -> GoVal {
        at(chain)
        if chain.field.isEmpty { throw errorf("internal error: no fields in evalChainNode") }
        if chain.node is NilNode { throw errorf("indirection through explicit nil in \(chain.goString)") }
        let pipe = try await evalArg(dot, nil, chain.node)
        return try await evalFieldChain(dot, pipe, chain, chain.field, args, final)
    }

    private func evalVariableNode(_ dot: GoVal, _ v: VariableNode, _ args: [any Node]?, _ final: GoVal) async throws -> GoVal {
        at(v)
        let value = try varValue(v.ident[0])
        if v.ident.count == 1 {
            try notAFunction(args, final)
            return value
        }
        return try await evalFieldChain(dot, value, v, Array(v.ident.dropFirst()), args, final)
    }

    private func evalFieldChain(_ dot: GoVal, _ receiver: GoVal, _ n: any Node, _ ident: [String], _ args: [any Node]?, _ final: GoVal) async throws -> GoVal {
        var r = receiver
        for name in ident.dropLast() {
            r = try await evalField(dot, name, n, nil, .missing, r)
        }
        return try await evalField(dot, ident[ident.count - 1], n, args, final, r)
    }

    private func evalFunction(_ dot: GoVal, _ n: IdentifierNode, _ cmd: any Node, _ args: [any Node]?, _ final: GoVal) async throws -> GoVal {
        at(n)
        guard let fn = funcs[n.ident] else { throw errorf("\(GoStrconv.quote(n.ident)) is not a defined function") }
        return try await evalCall(dot, fn, builtinNames.contains(n.ident), cmd, n.ident, args, final)
    }

    /// Go's `indirect`: through pointers and interfaces; nil pointers and interfaces stay.
    static func indirect(_ v: GoVal) -> (value: GoVal, isNil: Bool) {
        switch v {
        case .boxed(.null): return (v, true)
        case .boxed(let x): return indirect(.concrete(x))
        case .concrete(.null): return (v, true)
        default: return (v, false)
        }
    }

    private func evalField(_ dot: GoVal, _ fieldName: String, _ n: any Node, _ args: [any Node]?, _ final: GoVal, _ receiver: GoVal) async throws -> GoVal {
        if case .invalid = receiver {
            if missingKey == .error { throw errorf("nil data; no entry for key \(GoStrconv.quote(fieldName))") }
            return .invalid
        }
        let typ = receiver.goTypeName
        if case .boxed(.null) = receiver { throw errorf("nil pointer evaluating \(typ).\(fieldName)") }
        guard let v = receiver.value else { throw errorf("can't evaluate field \(fieldName) in type \(typ)") }
        if let method = Methods.lookup(v, fieldName) {
            return try await evalCall(dot, method, false, n, fieldName, args, final)
        }
        let hasArgs = (args?.count ?? 0) > 1 || !final.isMissing
        func field(_ value: GoVal) throws -> GoVal {
            if hasArgs { throw errorf("\(fieldName) has arguments but cannot be invoked as function") }
            return value
        }
        switch v {
        case .record(let r):
            if let f = r.fields.first(where: { $0.name == fieldName }) {
                return try field(f.isInterface ? .boxed(f.value) : .concrete(f.value))
            }
        case .sample(let labels, let value):
            if fieldName == "Labels" { return try field(.concrete(.stringMap(labels))) }
            if fieldName == "Value" { return try field(.boxed(.float(value))) }
        case .map(let m):
            if hasArgs { throw errorf("\(fieldName) is not a method but has arguments") }
            if let x = m[fieldName] { return .boxed(x) }
            return try missing(fieldName, zero: .boxed(.null))
        case .stringMap(let m):
            if hasArgs { throw errorf("\(fieldName) is not a method but has arguments") }
            if let x = m[fieldName] { return .concrete(.string(x)) }
            return try missing(fieldName, zero: .concrete(.string("")))
        case .null:
            throw errorf("nil pointer evaluating \(typ).\(fieldName)")
        default:
            break
        }
        throw errorf("can't evaluate field \(fieldName) in type \(typ)")
    }

    private func missing(_ key: String, zero: GoVal) throws -> GoVal {
        switch missingKey {
        case .invalid: return .invalid
        case .zero: return zero
        case .error: throw errorf("map has no entry for key \(GoStrconv.quote(key))")
        }
    }

    // MARK: calls

    private func evalCall(_ dot: GoVal, _ fn: GoFunc, _ isBuiltin: Bool, _ n: any Node, _ name: String, _ args0: [any Node]?, _ final: GoVal) async throws -> GoVal {
        let args = args0.map { Array($0.dropFirst()) } ?? []
        var numIn = args.count
        if !final.isMissing { numIn += 1 }
        var numFixed = args.count
        if fn.variadic != nil {
            numFixed = fn.params.count
            if numIn < numFixed {
                throw errorf("wrong number of args for \(name): want at least \(fn.params.count) got \(args.count)")
            }
        } else if numIn != fn.params.count {
            throw errorf("wrong number of args for \(name): want \(fn.params.count) got \(numIn)")
        }
        if isBuiltin && (name == "and" || name == "or") {
            var v: GoVal = .invalid
            for arg in args {
                v = try await evalArg(dot, .value, arg)
                if Self.truth(v) == (name == "or") { return v }
            }
            if !final.isMissing { v = try validateType(final, .value) }
            return v
        }
        var argv: [GoVal] = []
        var i = 0
        while i < numFixed && i < args.count {
            argv.append(try await evalArg(dot, fn.params[i], args[i]))
            i += 1
        }
        if let vt = fn.variadic {
            while i < args.count {
                argv.append(try await evalArg(dot, vt, args[i]))
                i += 1
            }
        }
        if !final.isMissing {
            var t = fn.params.last ?? .any
            if let vt = fn.variadic {
                t = numIn - 1 < numFixed ? fn.params[numIn - 1] : vt
            }
            argv.append(try validateType(final, t))
        }
        if isBuiltin && name == "call" {
            let callee = try args.first?.goString ?? formatV(final)
            let f = argv.first?.unboxed ?? .invalid
            at(n)
            if case .invalid = f { throw errorf("error calling call: call of nil") }
            throw errorf("error calling call: non-function \(callee) of type \(f.goTypeName)")
        }
        do {
            let result = try await fn.impl(env, argv)
            if case .concrete(.string(let s)) = result, s.utf8.count > limits.maxOutputBytes {
                at(n)
                throw errorf("error calling \(name): result exceeds \(limits.maxOutputBytes) bytes")
            }
            return result
        } catch let e as FuncError {
            at(n)
            throw errorf("error calling \(name): \(e.message)")
        } catch is GoFmt.TooLarge {
            at(n)
            throw errorf("error calling \(name): result exceeds \(limits.maxOutputBytes) bytes")
        }
    }

    private func validateType(_ value: GoVal, _ typ: GoParam?) throws -> GoVal {
        if case .invalid = value {
            guard let typ else { return .invalid }
            if typ.canBeNil { return typ.zero }
            throw errorf("invalid value; expected \(typ.name)")
        }
        guard let typ, typ != .value, typ != .any else { return value }
        var v = value
        if Self.assignable(v, typ) { return v }
        if case .boxed(let x) = v, x != .null {
            v = .concrete(x)
            if Self.assignable(v, typ) { return v }
        }
        switch (v, typ) {
        case (.concrete(.time(let t)), .time) where t.isPointer:
            return .concrete(.time(TemplateTime(seconds: t.seconds, nanoseconds: t.nanoseconds)))
        case (.concrete(.duration(let d)), .duration) where d.isPointer:
            return .concrete(.duration(TemplateDuration(nanoseconds: d.nanoseconds)))
        default:
            throw errorf("wrong type for value; expected \(typ.name); got \(v.goTypeName)")
        }
    }

    private static func assignable(_ v: GoVal, _ typ: GoParam) -> Bool {
        guard case .concrete(let x) = v else { return false }
        switch (typ, x) {
        case (.string, .string), (.float64, .float), (.int, .int), (.uint64, .uint), (.bool, .bool),
             (.sample, .sample), (.sample, .null), (.queryResult, .queryResult), (.queryResult, .null):
            return true
        case (.duration, .duration(let d)): return !d.isPointer
        case (.time, .time(let t)): return !t.isPointer
        default: return false
        }
    }

    private func evalArg(_ dot: GoVal, _ typ: GoParam?, _ n: any Node) async throws -> GoVal {
        at(n)
        switch n {
        case is DotNode:
            return try validateType(dot, typ)
        case is NilNode:
            if let typ, typ.canBeNil { return typ.zero }
            throw errorf("cannot assign nil to \(typ?.name ?? "<nil>")")
        case let f as FieldNode:
            return try validateType(try await evalFieldNode(dot, f, [n], .missing), typ)
        case let v as VariableNode:
            return try validateType(try await evalVariableNode(dot, v, nil, .missing), typ)
        case let p as PipeNode:
            return try validateType(try await evalPipeline(dot, p), typ)
        case let i as IdentifierNode:
            return try validateType(try await evalFunction(dot, i, i, nil, .missing), typ)
        case let c as ChainNode:
            return try validateType(try await evalChainNode(dot, c, nil, .missing), typ)
        default:
            break
        }
        guard let typ else { throw errorf("can't handle \(n.goString) for arg of type <nil>") }
        switch typ {
        case .bool:
            at(n)
            if let b = n as? BoolNode { return .concrete(.bool(b.value)) }
            throw errorf("expected bool; found \(n.goString)")
        case .float64:
            at(n)
            if let x = n as? NumberNode, x.isFloat { return .concrete(.float(x.float64)) }
            throw errorf("expected float; found \(n.goString)")
        case .int, .duration:
            at(n)
            if let x = n as? NumberNode, x.isInt {
                return .concrete(typ == .int ? .int(x.int64) : .duration(TemplateDuration(nanoseconds: x.int64)))
            }
            throw errorf("expected integer; found \(n.goString)")
        case .uint64:
            at(n)
            if let x = n as? NumberNode, x.isUint { return .concrete(.uint(x.uint64)) }
            throw errorf("expected unsigned integer; found \(n.goString)")
        case .string:
            at(n)
            if let s = n as? StringNode { return .concrete(.string(s.text)) }
            throw errorf("expected string; found \(n.goString)")
        case .any, .value:
            return try evalEmptyInterface(dot, n)
        default:
            throw errorf("can't handle \(n.goString) for arg of type \(typ.name)")
        }
    }

    private func evalEmptyInterface(_ dot: GoVal, _ n: any Node) throws -> GoVal {
        at(n)
        switch n {
        case let b as BoolNode: return .concrete(.bool(b.value))
        case is DotNode: return dot
        case let x as NumberNode: return try idealConstant(x)
        case let s as StringNode: return .concrete(.string(s.text))
        case is NilNode: throw errorf("evalEmptyInterface: nil (can't happen)")
        default: throw errorf("can't handle assignment of \(n.goString) to empty interface argument")
        }
    }

    // MARK: printing

    /// `%v` of a value as Go's `reflect.Value` prints in messages.
    private func formatV(_ v: GoVal) throws -> String {
        switch v.unboxed {
        case .concrete(.sample(let l, let x)):
            return try GoFmt.value(.record(TemplateRecord(typeName: "template.sample", fields: [
                .init(name: "Labels", value: .stringMap(l)), .init(name: "Value", value: .float(x)),
            ])), limit: limits.maxOutputBytes)
        case .concrete(let x): return try GoFmt.value(x, limit: limits.maxOutputBytes)
        default: return "<invalid reflect.Value>"
        }
    }

    private func printValue(_ n: any Node, _ v: GoVal) throws {
        at(n)
        let s: String
        do {
            switch v {
            case .invalid, .missing, .boxed(.null):
                s = "<no value>"
            case .concrete(.null):
                s = "<nil>"
            default:
                s = try formatV(v)
            }
        } catch is GoFmt.TooLarge {
            throw errorf("output exceeds \(limits.maxOutputBytes) bytes")
        }
        try write(s)
    }
}

