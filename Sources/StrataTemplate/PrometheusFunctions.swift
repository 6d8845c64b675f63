import StrataCore

/// Prometheus's template functions (template.go's FuncMap), with Prometheus's argument
/// conversion (`humanize "1.5"` parses the string; anything else is "can't convert X to
/// float") and its exact number formats (`%.4g` with SI prefixes).
enum PrometheusFunctions {
    static let nilDereference = "runtime error: invalid memory address or nil pointer dereference"

    static let table: [String: GoFunc] = [
        "query": GoFunc([.string]) { env, a in
            guard let q = env.context.query else { throw FuncError(nilDereference) }
            do {
                return .concrete(.queryResult(try await q(string(a[0]))))
            } catch let e as FuncError {
                throw e
            } catch {
                throw FuncError(String(describing: error))
            }
        },
        "first": GoFunc([.queryResult]) { _, a in
            guard let s = samples(a[0]).first else { throw FuncError("first() called on vector with no elements") }
            return .concrete(.sample(labels: s.labels, value: s.value))
        },
        "label": GoFunc([.string, .sample]) { _, a in
            .concrete(.string(try sample(a[1]).labels[string(a[0])] ?? ""))
        },
        "value": GoFunc([.sample]) { _, a in .boxed(.float(try sample(a[0]).value)) },
        "strvalue": GoFunc([.sample]) { _, a in .concrete(.string(try sample(a[0]).labels["__value__"] ?? "")) },
        "sortByLabel": GoFunc([.string, .queryResult]) { _, a in
            let key = string(a[0])
            let sorted = samples(a[1]).enumerated().sorted { x, y in
                let lx = x.element.labels[key] ?? "", ly = y.element.labels[key] ?? ""
                if lx != ly { return goLess(lx, ly) }
                return x.offset < y.offset
            }.map(\.element)
            return .concrete(.queryResult(sorted))
        },
        "args": GoFunc([], variadic: .any) { _, a in
            var m: [String: TemplateValue] = [:]
            for (i, v) in a.enumerated() { m["arg\(i)"] = v.asAny }
            return .concrete(.map(m))
        },
        "reReplaceAll": GoFunc([.string, .string, .string]) { env, a in
            let pattern = string(a[0])
            let re: RE2SubmatchRegex
            do {
                re = try regex(env, pattern)
            } catch let e as FuncError {
                let quoted = GoStrconv.canBackquote(pattern) ? "`\(pattern)`" : GoStrconv.quote(pattern)
                throw FuncError("regexp: Compile(\(quoted)): \(e.message)")
            }
            return .concrete(.string(re.replaceAll(string(a[2]), template: string(a[1]))))
        },
        "safeHtml": GoFunc([.string]) { _, a in .concrete(.html(string(a[0]))) },
        "match": GoFunc([.string, .string]) { env, a in
            .concrete(.bool(try regex(env, string(a[0])).matches(string(a[1]))))
        },
        "title": GoFunc([.string]) { _, a in .concrete(.string(TextCase.title(string(a[0])))) },
        "toUpper": GoFunc([.string]) { _, a in .concrete(.string(TextCase.upper(string(a[0])))) },
        "toLower": GoFunc([.string]) { _, a in .concrete(.string(TextCase.lower(string(a[0])))) },
        "graphLink": GoFunc([.string]) { _, a in
            .concrete(.string("/graph?g0.expr=\(Builtins.queryEscape(string(a[0])))&g0.tab=0"))
        },
        "tableLink": GoFunc([.string]) { _, a in
            .concrete(.string("/graph?g0.expr=\(Builtins.queryEscape(string(a[0])))&g0.tab=1"))
        },
        "stripPort": GoFunc([.string]) { _, a in
            let hp = string(a[0])
            return .concrete(.string(NetHost.splitHostPort(hp)?.host ?? hp))
        },
        "stripDomain": GoFunc([.string]) { _, a in
            let hp = string(a[0])
            var host = hp, port = ""
            if let split = NetHost.splitHostPort(hp) { (host, port) = split }
            if NetHost.isIP(host) { return .concrete(.string(hp)) }
            host = String(host.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            return .concrete(.string(port.isEmpty ? host : NetHost.joinHostPort(host, port)))
        },
        "humanize": GoFunc([.any]) { env, a in .concrete(.string(try Humanize.humanize(try toFloat(a[0]), env.limit))) },
        "humanize1024": GoFunc([.any]) { env, a in .concrete(.string(try Humanize.humanize1024(try toFloat(a[0]), env.limit))) },
        "humanizeDuration": GoFunc([.any]) { env, a in .concrete(.string(try Humanize.duration(try toFloat(a[0]), env.limit))) },
        "humanizePercentage": GoFunc([.any]) { env, a in
            .concrete(.string(try GoFmt.sprintf("%.4g%%", [.float(try toFloat(a[0]) * 100)], limit: env.limit)))
        },
        "humanizeTimestamp": GoFunc([.any]) { env, a in .concrete(.string(try Humanize.timestamp(try toFloat(a[0]), env.limit))) },
        "toTime": GoFunc([.any]) { env, a in
            let v = try toFloat(a[0])
            if v.isNaN || v.isInfinite { throw FuncError("value is NaN or Inf") }
            var t = try Humanize.floatToTime(v, env.limit)
            t.isPointer = true
            return .concrete(.time(t))
        },
        "toDuration": GoFunc([.any]) { _, a in
            .concrete(.duration(TemplateDuration(nanoseconds: GoTime.int64(try toFloat(a[0]) * 1e9), isPointer: true)))
        },
        "now": GoFunc([]) { env, _ in
            .concrete(.float(Double(GoTime.int64((env.context.timestamp * 1000).rounded(.down))) / 1000.0))
        },
        "pathPrefix": GoFunc([]) { env, _ in .concrete(.string(env.context.pathPrefix)) },
        "externalURL": GoFunc([]) { env, _ in .concrete(.string(env.context.externalURL)) },
        "parseDuration": GoFunc([.string]) { _, a in
            .concrete(.float(Double(try PromDuration.parseAllowNegative(string(a[0]))) / 1e9))
        },
        "urlQueryEscape": GoFunc([.string]) { _, a in .concrete(.string(Builtins.queryEscape(string(a[0])))) },
    ]

    // MARK: argument helpers

    static func string(_ v: GoVal) -> String {
        if case .concrete(.string(let s)) = v { return s }
        return ""
    }

    static func samples(_ v: GoVal) -> [TemplateSample] {
        if case .concrete(.queryResult(let q)) = v { return q }
        return []
    }

    static func sample(_ v: GoVal) throws -> TemplateSample {
        if case .concrete(.sample(let l, let x)) = v { return TemplateSample(labels: l, value: x) }
        throw FuncError(nilDereference)
    }

    static func regex(_ env: CallEnv, _ pattern: String) throws -> RE2SubmatchRegex {
        if let cached = env.regexCache[pattern] { return try cached.get() }
        let result: Result<RE2SubmatchRegex, FuncError>
        do {
            result = .success(try RE2SubmatchRegex(pattern))
        } catch let e as RE2Regex.CompileError {
            result = .failure(FuncError(e.goDescription))
        } catch {
            result = .failure(FuncError(String(describing: error)))
        }
        if env.regexCache.count < 64 { env.regexCache[pattern] = result }
        return try result.get()
    }

    /// Prometheus's `ConvertToFloat`.
    static func toFloat(_ v: GoVal) throws -> Double {
        let x = v.asAny
        switch x {
        case .float(let f): return f
        case .string(let s):
            do {
                return try GoStrconv.parseFloat(s)
            } catch {
                throw FuncError(GoStrconv.parseFloatMessage(s, error))
            }
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .duration(let d) where !d.isPointer:
            return Double(d.nanoseconds / 1_000_000_000) + Double(d.nanoseconds % 1_000_000_000) / 1e9
        default:
            throw FuncError("can't convert \(x.goTypeName) to float")
        }
    }
}

/// Prometheus's `model.ParseDuration` (units y w d h m s ms, largest first) with a sign.
enum PromDuration {
    static func parseAllowNegative(_ s: String) throws -> Int64 {
        if s.hasPrefix("-") { return -(try parse(String(s.dropFirst()))) }
        return try parse(s)
    }

    static func parse(_ s: String) throws -> Int64 {
        if s == "0" { return 0 }
        if s.isEmpty { throw FuncError("empty duration string") }
        let invalid = FuncError("not a valid duration string: \(GoStrconv.quote(s))")
        let units: [String: (pos: Int, mult: UInt64)] = [
            "ms": (7, 1_000_000), "s": (6, 1_000_000_000), "m": (5, 60_000_000_000), "h": (4, 3_600_000_000_000),
            "d": (3, 86_400_000_000_000), "w": (2, 604_800_000_000_000), "y": (1, 31_536_000_000_000_000),
        ]
        var b = Array(s.utf8)[...]
        var dur: UInt64 = 0
        var lastUnitPos = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while let first = b.first {
            if !isDigit(first) { throw invalid }
            let digits = b.prefix(while: isDigit)
            guard let v = UInt64(String(decoding: digits, as: UTF8.self)) else { throw invalid }
            b = b.dropFirst(digits.count)
            let unitBytes = b.prefix(while: { !isDigit($0) })
            if unitBytes.isEmpty { throw invalid }
            b = b.dropFirst(unitBytes.count)
            let u = String(decoding: unitBytes, as: UTF8.self)
            guard let unit = units[u] else {
                throw FuncError("unknown unit \(GoStrconv.quote(u)) in duration \(GoStrconv.quote(s))")
            }
            if unit.pos <= lastUnitPos { throw invalid }
            lastUnitPos = unit.pos
            if v > (UInt64(1) << 63) / unit.mult { throw FuncError("duration out of range") }
            dur = dur &+ v &* unit.mult
            if dur > UInt64(Int64.max) { throw FuncError("duration out of range") }
        }
        return Int64(dur)
    }
}
