/// Go text/template's predefined functions with Go's argument rules and error texts:
/// comparisons refuse mixed kinds (`lt $value 80` with a float `$value` is an error),
/// `index` of a list one past its end panics inside reflect, `len` counts bytes.
enum Builtins {
    static let names: Set<String> = Set(table.keys)

    static let table: [String: GoFunc] = [
        // and/or are evaluated lazily by the executor; the signature is for arity checks.
        "and": GoFunc([.value], variadic: .value) { _, a in a.last ?? .invalid },
        "or": GoFunc([.value], variadic: .value) { _, a in a.last ?? .invalid },
        "call": GoFunc([.value], variadic: .value) { _, _ in .invalid },
        "not": GoFunc([.value]) { _, a in .concrete(.bool(!Executor.truth(a[0]))) },
        "len": GoFunc([.value]) { _, a in try length(a[0]) },
        "index": GoFunc([.value], variadic: .value) { _, a in try index(a[0], Array(a.dropFirst())) },
        "slice": GoFunc([.value], variadic: .value) { _, a in try slice(a[0], Array(a.dropFirst())) },
        "print": GoFunc([], variadic: .any) { env, a in
            .concrete(.string(try GoFmt.sprint(a.map(\.asAny), limit: env.limit)))
        },
        "printf": GoFunc([.string], variadic: .any) { env, a in
            guard case .concrete(.string(let f)) = a[0] else { return .invalid }
            return .concrete(.string(try GoFmt.sprintf(f, a.dropFirst().map(\.asAny), limit: env.limit)))
        },
        "println": GoFunc([], variadic: .any) { env, a in
            .concrete(.string(try GoFmt.sprintln(a.map(\.asAny), limit: env.limit)))
        },
        "html": GoFunc([], variadic: .any) { env, a in .concrete(.string(htmlEscape(try evalArgs(a, env.limit)))) },
        "js": GoFunc([], variadic: .any) { env, a in .concrete(.string(jsEscape(try evalArgs(a, env.limit)))) },
        "urlquery": GoFunc([], variadic: .any) { env, a in .concrete(.string(queryEscape(try evalArgs(a, env.limit)))) },
        "eq": GoFunc([.value], variadic: .value) { env, a in .concrete(.bool(try eq(a[0], Array(a.dropFirst()), env.limit))) },
        "ne": GoFunc([.value, .value]) { env, a in .concrete(.bool(!(try eq(a[0], [a[1]], env.limit)))) },
        "lt": GoFunc([.value, .value]) { _, a in .concrete(.bool(try lt(a[0], a[1]))) },
        "le": GoFunc([.value, .value]) { env, a in .concrete(.bool(try le(a[0], a[1], env.limit))) },
        "gt": GoFunc([.value, .value]) { env, a in .concrete(.bool(!(try le(a[0], a[1], env.limit)))) },
        "ge": GoFunc([.value, .value]) { _, a in .concrete(.bool(!(try lt(a[0], a[1])))) },
    ]

    // MARK: len, index, slice

    static func length(_ item: GoVal) throws -> GoVal {
        let (v, isNil) = Executor.indirect(item)
        if isNil { throw FuncError("len of nil pointer") }
        guard let x = v.value else { throw FuncError("reflect: call of reflect.Value.Type on zero Value") }
        switch x {
        case .string(let s), .html(let s): return .concrete(.int(Int64(s.utf8.count)))
        case .map(let m): return .concrete(.int(Int64(m.count)))
        case .stringMap(let m): return .concrete(.int(Int64(m.count)))
        case .list(let l): return .concrete(.int(Int64(l.count)))
        case .queryResult(let q): return .concrete(.int(Int64(q.count)))
        default: throw FuncError("len of type \(derefTypeName(x))")
        }
    }

    /// The type name after following a pointer (what Go reports once it indirected).
    static func derefTypeName(_ x: TemplateValue) -> String {
        switch x {
        case .sample: return "template.sample"
        case .time: return "time.Time"
        case .duration: return "time.Duration"
        default: return x.goTypeName
        }
    }

    private static func indexArg(_ index: GoVal, _ cap: Int) throws -> Int {
        var x: Int64
        switch index {
        case .concrete(.int(let i)): x = i
        case .concrete(.uint(let u)): x = Int64(bitPattern: u)
        case .concrete(.duration(let d)) where !d.isPointer: x = d.nanoseconds
        case .invalid: throw FuncError("cannot index slice/array with nil")
        default: throw FuncError("cannot index slice/array with type \(index.goTypeName)")
        }
        if x < 0 || x > Int64(cap) { throw FuncError("index out of range: \(x)") }
        return Int(x)
    }

    static func index(_ item0: GoVal, _ indexes: [GoVal]) throws -> GoVal {
        var item = item0.unboxed
        if case .invalid = item { throw FuncError("index of untyped nil") }
        for idx0 in indexes {
            let idx = idx0.unboxed
            let (ind, isNil) = Executor.indirect(item)
            if isNil { throw FuncError("index of nil pointer") }
            guard let x = ind.value else { throw FuncError("index of untyped nil") }
            switch x {
            case .list(let l):
                let i = try indexArg(idx, l.count)
                if i == l.count { throw FuncError("reflect: slice index out of range") }
                item = .boxed(l[i])
            case .queryResult(let q):
                let i = try indexArg(idx, q.count)
                if i == q.count { throw FuncError("reflect: slice index out of range") }
                item = .concrete(.sample(labels: q[i].labels, value: q[i].value))
            case .string(let s), .html(let s):
                let b = Array(s.utf8)
                let i = try indexArg(idx, b.count)
                if i == b.count { throw FuncError("reflect: string index out of range") }
                item = .concrete(.uint(UInt64(b[i])))
            case .map(let m):
                let key = try mapKey(idx)
                item = .boxed(m[key] ?? .null)
            case .stringMap(let m):
                let key = try mapKey(idx)
                item = .concrete(.string(m[key] ?? ""))
            default:
                throw FuncError("can't index item of type \(derefTypeName(x))")
            }
        }
        return item
    }

    private static func mapKey(_ idx: GoVal) throws -> String {
        switch idx {
        case .concrete(.string(let s)): return s
        case .invalid: throw FuncError("value is nil; should be of type string")
        default: throw FuncError("value has type \(idx.goTypeName); should be string")
        }
    }

    static func slice(_ item0: GoVal, _ indexes: [GoVal]) throws -> GoVal {
        let item = item0.unboxed
        guard let x = item.value else { throw FuncError("slice of untyped nil") }
        if indexes.count > 3 { throw FuncError("too many slice indexes: \(indexes.count)") }
        let count: Int
        switch x {
        case .string(let s), .html(let s):
            if indexes.count == 3 { throw FuncError("cannot 3-index slice a string") }
            count = s.utf8.count
        case .list(let l): count = l.count
        case .queryResult(let q): count = q.count
        default: throw FuncError("can't slice item of type \(x.goTypeName)")
        }
        var idx = [0, count, 0]
        for (i, index) in indexes.enumerated() { idx[i] = try indexArg(index, count) }
        if idx[0] > idx[1] { throw FuncError("invalid slice index: \(idx[0]) > \(idx[1])") }
        if indexes.count == 3 && idx[1] > idx[2] { throw FuncError("invalid slice index: \(idx[1]) > \(idx[2])") }
        switch x {
        case .string(let s):
            return .concrete(.string(String(decoding: Array(s.utf8)[idx[0]..<idx[1]], as: UTF8.self)))
        case .html(let s):
            return .concrete(.html(String(decoding: Array(s.utf8)[idx[0]..<idx[1]], as: UTF8.self)))
        case .list(let l): return .concrete(.list(Array(l[idx[0]..<idx[1]])))
        case .queryResult(let q): return .concrete(.queryResult(Array(q[idx[0]..<idx[1]])))
        default: return .invalid
        }
    }

    // MARK: comparisons

    private enum BasicKind { case invalid, bool, int, uint, float, string }

    private static func basicKind(_ v: GoVal) -> BasicKind {
        guard case .concrete(let x) = v else { return .invalid }
        switch x {
        case .bool: return .bool
        case .int: return .int
        case .duration(let d): return d.isPointer ? .invalid : .int
        case .uint: return .uint
        case .float: return .float
        case .string, .html: return .string
        default: return .invalid
        }
    }

    private static func intValue(_ v: GoVal) -> Int64 {
        switch v {
        case .concrete(.int(let i)): return i
        case .concrete(.duration(let d)): return d.nanoseconds
        default: return 0
        }
    }

    private static func uintValue(_ v: GoVal) -> UInt64 {
        if case .concrete(.uint(let u)) = v { return u }
        return 0
    }

    private static func floatValue(_ v: GoVal) -> Double {
        if case .concrete(.float(let f)) = v { return f }
        return 0
    }

    private static func stringValue(_ v: GoVal) -> String {
        switch v {
        case .concrete(.string(let s)), .concrete(.html(let s)): return s
        default: return ""
        }
    }

    private static func isValid(_ v: GoVal) -> Bool {
        if case .invalid = v { return false }
        return true
    }

    private static func isNilValue(_ v: GoVal) -> Bool {
        switch v {
        case .invalid, .concrete(.null), .boxed(.null): return true
        default: return false
        }
    }

    static func eq(_ arg1: GoVal, _ arg2: [GoVal], _ limit: Int) throws -> Bool {
        let a1 = arg1.unboxed
        if arg2.isEmpty { throw FuncError("missing argument for comparison") }
        let k1 = basicKind(a1)
        for arg in arg2 {
            let a = arg.unboxed
            let k2 = basicKind(a)
            var truth = false
            if k1 != k2 {
                if k1 == .int && k2 == .uint {
                    truth = intValue(a1) >= 0 && UInt64(intValue(a1)) == uintValue(a)
                } else if k1 == .uint && k2 == .int {
                    truth = intValue(a) >= 0 && uintValue(a1) == UInt64(intValue(a))
                } else if isValid(a1) && isValid(a) {
                    throw FuncError("incompatible types for comparison: \(a1.goTypeName) and \(a.goTypeName)")
                }
            } else {
                switch k1 {
                case .bool:
                    if case .concrete(.bool(let x)) = a1, case .concrete(.bool(let y)) = a { truth = x == y }
                case .float: truth = floatValue(a1) == floatValue(a)
                case .int: truth = intValue(a1) == intValue(a)
                case .string: truth = stringValue(a1) == stringValue(a)
                case .uint: truth = uintValue(a1) == uintValue(a)
                case .invalid:
                    let kind1 = a1.value?.kind, kind2 = a.value?.kind
                    let canCompare = kind1 == kind2 || !isValid(a1) || !isValid(a)
                    if !canCompare {
                        let msg = try GoFmt.sprintf("non-comparable types %s: %v, %s: %v",
                                                    [a1.asAny, .string(a1.goTypeName), .string(a.goTypeName), a.asAny], limit: limit)
                        throw FuncError(msg)
                    }
                    if isNilValue(a1) || isNilValue(a) {
                        truth = isNilValue(a) == isNilValue(a1)
                    } else {
                        let x = a.asAny
                        if x.kind == .map || x.kind == .slice {
                            throw FuncError(try GoFmt.sprintf("non-comparable type %s: %v", [x, .string(a.goTypeName)], limit: limit))
                        }
                        truth = a1.asAny == x
                    }
                }
            }
            if truth { return true }
        }
        return false
    }

    static func lt(_ arg1: GoVal, _ arg2: GoVal) throws -> Bool {
        let a1 = arg1.unboxed, a2 = arg2.unboxed
        let k1 = basicKind(a1)
        if k1 == .invalid { throw FuncError("invalid type for comparison") }
        let k2 = basicKind(a2)
        if k2 == .invalid { throw FuncError("invalid type for comparison") }
        if k1 != k2 {
            if k1 == .int && k2 == .uint { return intValue(a1) < 0 || UInt64(intValue(a1)) < uintValue(a2) }
            if k1 == .uint && k2 == .int { return intValue(a2) >= 0 && uintValue(a1) < UInt64(intValue(a2)) }
            throw FuncError("incompatible types for comparison: \(a1.goTypeName) and \(a2.goTypeName)")
        }
        switch k1 {
        case .bool, .invalid: throw FuncError("invalid type for comparison")
        case .float: return floatValue(a1) < floatValue(a2)
        case .int: return intValue(a1) < intValue(a2)
        case .string: return goLess(stringValue(a1), stringValue(a2))
        case .uint: return uintValue(a1) < uintValue(a2)
        }
    }

    static func le(_ arg1: GoVal, _ arg2: GoVal, _ limit: Int) throws -> Bool {
        if try lt(arg1, arg2) { return true }
        return try eq(arg1, [arg2], limit)
    }

    // MARK: escapers

    /// Go's `evalArgs`: one string argument as is, else `fmt.Sprint` of the arguments with
    /// pointers followed and missing values spelled `<no value>`.
    static func evalArgs(_ args: [GoVal], _ limit: Int) throws -> String {
        if args.count == 1, case .concrete(.string(let s)) = args[0] { return s }
        let printable: [TemplateValue] = args.map { a in
            switch a {
            case .invalid, .missing, .boxed(.null): return .string("<no value>")
            case .concrete(.sample(let l, let v)), .boxed(.sample(let l, let v)):
                return .record(TemplateRecord(typeName: "template.sample", fields: [
                    .init(name: "Labels", value: .stringMap(l)), .init(name: "Value", value: .float(v)),
                ]))
            default: return a.asAny
            }
        }
        return try GoFmt.sprint(printable, limit: limit)
    }

    /// `template.HTMLEscapeString`.
    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\0": out += "\u{FFFD}"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// `template.JSEscapeString`.
    static func jsEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if u.value < 0x20 {
                    out += "\\u00" + String(decoding: GoStrconv.hexN(u.value, 2), as: UTF8.self).uppercased()
                } else if u.value >= 0x80 && !GoStrconv.isPrint(u.value) {
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// `url.QueryEscape`.
    static func queryEscape(_ s: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
