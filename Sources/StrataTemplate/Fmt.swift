/// Go's fmt for `print`, `printf`, `println` and for printing action results: verbs, flags,
/// widths, `%!d(string=abc)` for a wrong verb, `%!s(MISSING)`, `%!(EXTRA …)`, and Sprint's
/// rule of spacing only between two non-string operands. Output is bounded: nested
/// maps printed inside maps can grow exponentially, so the printer stops at `limit` bytes.
struct GoFmt {
    struct TooLarge: Error {}

    private var buf: [UInt8] = []
    private let limit: Int
    private var plus = false, minus = false, sharp = false, space = false, zero = false
    private var plusV = false, sharpV = false
    private var wid = 0, prec = 0, widPresent = false, precPresent = false
    private var erroring = false
    private var arg: TemplateValue = .null
    private var reordered = false, goodArgNum = true

    init(limit: Int) { self.limit = limit }

    // MARK: entry points

    static func sprint(_ args: [TemplateValue], limit: Int) throws -> String {
        var p = GoFmt(limit: limit)
        var prevString = false
        for (i, a) in args.enumerated() {
            let isString = a.kind == .string
            if i > 0 && !isString && !prevString { p.buf.append(0x20) }
            p.printArg(a, "v")
            try p.check()
            prevString = isString
        }
        return p.result
    }

    static func sprintln(_ args: [TemplateValue], limit: Int) throws -> String {
        var p = GoFmt(limit: limit)
        for (i, a) in args.enumerated() {
            if i > 0 { p.buf.append(0x20) }
            p.printArg(a, "v")
            try p.check()
        }
        p.buf.append(0x0A)
        return p.result
    }

    static func sprintf(_ format: String, _ args: [TemplateValue], limit: Int) throws -> String {
        var p = GoFmt(limit: limit)
        try p.doPrintf(Array(format.utf8), args)
        return p.result
    }

    /// `%v` of one value (what an action prints).
    static func value(_ v: TemplateValue, limit: Int) throws -> String {
        var p = GoFmt(limit: limit)
        p.printArg(v, "v")
        try p.check()
        return p.result
    }

    /// `%#U` of a rune, as the lexer reports unrecognized characters.
    static func unicodeSharp(_ r: UInt32) -> String {
        var p = GoFmt(limit: 64)
        p.sharp = true
        p.fmtUnicode(UInt64(r))
        return p.result
    }

    private var result: String { String(decoding: buf, as: UTF8.self) }

    private func check() throws {
        if buf.count > limit { throw TooLarge() }
    }

    private mutating func clearFlags() {
        plus = false; minus = false; sharp = false; space = false; zero = false
        plusV = false; sharpV = false
        wid = 0; prec = 0; widPresent = false; precPresent = false
    }

    // MARK: Printf

    private mutating func doPrintf(_ format: [UInt8], _ a: [TemplateValue]) throws {
        let end = format.count
        var argNum = 0
        var afterIndex = false
        reordered = false
        var i = 0
        formatLoop: while i < end {
            goodArgNum = true
            let lasti = i
            while i < end && format[i] != UInt8(ascii: "%") { i += 1 }
            if i > lasti { buf.append(contentsOf: format[lasti..<i]) }
            if i >= end { break }
            i += 1
            clearFlags()
            simple: while i < end {
                let c = format[i]
                switch c {
                case UInt8(ascii: "#"): sharp = true
                case UInt8(ascii: "0"): zero = !minus
                case UInt8(ascii: "+"): plus = true
                case UInt8(ascii: "-"):
                    minus = true
                    zero = false
                case UInt8(ascii: " "): space = true
                default:
                    if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") && argNum < a.count {
                        if c == UInt8(ascii: "v") {
                            sharpV = sharp
                            sharp = false
                            plusV = plus
                            plus = false
                        }
                        printArg(a[argNum], Unicode.Scalar(c))
                        try check()
                        argNum += 1
                        i += 1
                        continue formatLoop
                    }
                    break simple
                }
                i += 1
            }
            (argNum, i, afterIndex) = argNumber(argNum, format, i, a.count)
            if i < end && format[i] == UInt8(ascii: "*") {
                i += 1
                (wid, widPresent, argNum) = intFromArg(a, argNum)
                if !widPresent { buf += Array("%!(BADWIDTH)".utf8) }
                if wid < 0 {
                    wid = -wid
                    minus = true
                    zero = false
                }
                afterIndex = false
            } else {
                (wid, widPresent, i) = parsenum(format, i, end)
                if afterIndex && widPresent { goodArgNum = false }
            }
            if i + 1 < end && format[i] == UInt8(ascii: ".") {
                i += 1
                if afterIndex { goodArgNum = false }
                (argNum, i, afterIndex) = argNumber(argNum, format, i, a.count)
                if i < end && format[i] == UInt8(ascii: "*") {
                    i += 1
                    (prec, precPresent, argNum) = intFromArg(a, argNum)
                    if prec < 0 {
                        prec = 0
                        precPresent = false
                    }
                    if !precPresent { buf += Array("%!(BADPREC)".utf8) }
                    afterIndex = false
                } else {
                    (prec, precPresent, i) = parsenum(format, i, end)
                    if !precPresent {
                        prec = 0
                        precPresent = true
                    }
                }
            }
            if !afterIndex { (argNum, i, afterIndex) = argNumber(argNum, format, i, a.count) }
            if i >= end {
                buf += Array("%!(NOVERB)".utf8)
                break
            }
            let (r, size) = GoStrconv.decodeRune(format, i)
            let verb = Unicode.Scalar(r) ?? "\u{FFFD}"
            i += size
            if verb == "%" {
                buf.append(UInt8(ascii: "%"))
            } else if !goodArgNum {
                badArgNum(verb)
            } else if argNum >= a.count {
                missingArg(verb)
            } else {
                if verb == "v" {
                    sharpV = sharp
                    sharp = false
                    plusV = plus
                    plus = false
                }
                printArg(a[argNum], verb)
                argNum += 1
            }
            try check()
        }
        if !reordered && argNum < a.count {
            clearFlags()
            buf += Array("%!(EXTRA ".utf8)
            for (k, x) in a[argNum...].enumerated() {
                if k > 0 { buf += Array(", ".utf8) }
                if x == .null {
                    buf += Array("<nil>".utf8)
                } else {
                    buf += Array(x.goTypeName.utf8)
                    buf.append(UInt8(ascii: "="))
                    printArg(x, "v")
                }
                try check()
            }
            buf.append(UInt8(ascii: ")"))
        }
    }

    private static func tooLarge(_ x: Int) -> Bool { x > 1_000_000 || x < -1_000_000 }

    private func parsenum(_ s: [UInt8], _ start: Int, _ end: Int) -> (Int, Bool, Int) {
        if start >= end { return (0, false, end) }
        var num = 0
        var isnum = false
        var i = start
        while i < end && s[i] >= 0x30 && s[i] <= 0x39 {
            if Self.tooLarge(num) { return (0, false, end) }
            num = num * 10 + Int(s[i] - 0x30)
            isnum = true
            i += 1
        }
        return (num, isnum, i)
    }

    private mutating func argNumber(_ argNum: Int, _ format: [UInt8], _ i: Int, _ numArgs: Int) -> (Int, Int, Bool) {
        if format.count <= i || format[i] != UInt8(ascii: "[") { return (argNum, i, false) }
        reordered = true
        let sub = Array(format[i...])
        var index = 0, wid = 1, ok = false
        if sub.count >= 3 {
            for k in 1..<sub.count where sub[k] == UInt8(ascii: "]") {
                let (w, isnum, newi) = parsenum(sub, 1, k)
                if !isnum || newi != k {
                    wid = k + 1
                } else {
                    index = w - 1
                    wid = k + 1
                    ok = true
                }
                break
            }
        }
        if ok && index >= 0 && index < numArgs { return (index, i + wid, true) }
        goodArgNum = false
        return (argNum, i + wid, ok)
    }

    private func intFromArg(_ a: [TemplateValue], _ argNum: Int) -> (Int, Bool, Int) {
        guard argNum < a.count else { return (0, false, argNum) }
        var num = 0
        var isInt = false
        switch a[argNum] {
        case .int(let v):
            num = Int(v)
            isInt = true
        case .uint(let v):
            if v <= UInt64(Int.max) {
                num = Int(v)
                isInt = true
            }
        case .duration(let d) where !d.isPointer:
            num = Int(d.nanoseconds)
            isInt = true
        default: break
        }
        if Self.tooLarge(num) { return (0, false, argNum + 1) }
        return (num, isInt, argNum + 1)
    }

    private mutating func badArgNum(_ verb: Unicode.Scalar) {
        buf += Array("%!".utf8) + GoStrconv.utf8(verb.value) + Array("(BADINDEX)".utf8)
    }

    private mutating func missingArg(_ verb: Unicode.Scalar) {
        buf += Array("%!".utf8) + GoStrconv.utf8(verb.value) + Array("(MISSING)".utf8)
    }

    // MARK: printArg

    private mutating func printArg(_ a: TemplateValue, _ verb: Unicode.Scalar) {
        arg = a
        if a == .null {
            switch verb {
            case "T", "v": padString("<nil>")
            default: badVerb(verb)
            }
            return
        }
        if verb == "T" {
            fmtS(a.goTypeName)
            return
        }
        switch a {
        case .bool(let b): fmtBool(b, verb)
        case .float(let f): fmtFloat(f, verb)
        case .int(let i): fmtInteger(UInt64(bitPattern: i), signed: true, verb)
        case .uint(let u): fmtInteger(u, signed: false, verb)
        case .string(let s), .html(let s): fmtString(s, verb)
        default:
            if handleMethods(verb) { return }
            printValue(a, verb, depth: 0)
        }
    }

    /// Stringers (time.Time, time.Duration) print through String() for %v %s %x %X %q.
    private mutating func handleMethods(_ verb: Unicode.Scalar) -> Bool {
        if erroring || sharpV { return false }
        guard ["v", "s", "x", "X", "q"].contains(verb) else { return false }
        switch arg {
        case .time(let t):
            fmtString(GoTime.string(t), verb)
            return true
        case .duration(let d):
            fmtString(GoTime.durationString(d.nanoseconds), verb)
            return true
        default:
            return false
        }
    }

    private mutating func printValue(_ v: TemplateValue, _ verb: Unicode.Scalar, depth: Int) {
        if depth > 0 {
            arg = v
            if handleMethods(verb) { return }
        }
        switch v {
        case .null:
            buf += Array((sharpV ? "interface {}(nil)" : "<nil>").utf8)
        case .bool(let b): fmtBool(b, verb)
        case .float(let f): fmtFloat(f, verb)
        case .int(let i): fmtInteger(UInt64(bitPattern: i), signed: true, verb)
        case .uint(let u): fmtInteger(u, signed: false, verb)
        case .string(let s), .html(let s): fmtString(s, verb)
        case .map(let m):
            let keys = m.keys.sorted(by: goLess)
            printMap(v.goTypeName, keys.map { ($0, m[$0]!) }, verb, depth)
        case .stringMap(let m):
            let keys = m.keys.sorted(by: goLess)
            printMap(v.goTypeName, keys.map { ($0, TemplateValue.string(m[$0]!)) }, verb, depth)
        case .list(let l):
            printList(v.goTypeName, l, verb, depth)
        case .queryResult(let q):
            printList(v.goTypeName, q.map { .sample(labels: $0.labels, value: $0.value) }, verb, depth)
        case .sample(let labels, let value):
            if sharpV { buf += Array("&template.sample".utf8) } else { buf.append(UInt8(ascii: "&")) }
            printStruct([("Labels", .stringMap(labels)), ("Value", .float(value))], verb, depth + 1)
        case .record(let r):
            if sharpV { buf += Array(r.typeName.utf8) }
            printStruct(r.fields.map { ($0.name, $0.value) }, verb, depth + 1)
        case .time(let t):
            buf += Array(GoTime.string(t).utf8)
        case .duration(let d):
            fmtInteger(UInt64(bitPattern: d.nanoseconds), signed: true, verb)
        }
    }

    private mutating func printMap(_ typeName: String, _ entries: [(String, TemplateValue)], _ verb: Unicode.Scalar, _ depth: Int) {
        if sharpV {
            buf += Array(typeName.utf8)
            buf.append(UInt8(ascii: "{"))
        } else {
            buf += Array("map[".utf8)
        }
        for (i, (k, v)) in entries.enumerated() {
            if buf.count > limit { return }
            if i > 0 { buf += sharpV ? Array(", ".utf8) : [0x20] }
            printValue(.string(k), verb, depth: depth + 1)
            buf.append(UInt8(ascii: ":"))
            printValue(v, verb, depth: depth + 1)
        }
        buf.append(sharpV ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    private mutating func printList(_ typeName: String, _ l: [TemplateValue], _ verb: Unicode.Scalar, _ depth: Int) {
        if sharpV {
            buf += Array(typeName.utf8)
            buf.append(UInt8(ascii: "{"))
        } else {
            buf.append(UInt8(ascii: "["))
        }
        for (i, v) in l.enumerated() {
            if buf.count > limit { return }
            if i > 0 { buf += sharpV ? Array(", ".utf8) : [0x20] }
            printValue(v, verb, depth: depth + 1)
        }
        buf.append(sharpV ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    private mutating func printStruct(_ fields: [(String, TemplateValue)], _ verb: Unicode.Scalar, _ depth: Int) {
        buf.append(UInt8(ascii: "{"))
        for (i, (name, v)) in fields.enumerated() {
            if buf.count > limit { return }
            if i > 0 { buf += sharpV ? Array(", ".utf8) : [0x20] }
            if plusV || sharpV { buf += Array((name + ":").utf8) }
            printValue(v, verb, depth: depth + 1)
        }
        buf.append(UInt8(ascii: "}"))
    }

    private mutating func badVerb(_ verb: Unicode.Scalar) {
        erroring = true
        buf += Array("%!".utf8) + GoStrconv.utf8(verb.value) + [UInt8(ascii: "(")]
        if arg != .null {
            buf += Array(arg.goTypeName.utf8)
            buf.append(UInt8(ascii: "="))
            printArg(arg, "v")
        } else {
            buf += Array("<nil>".utf8)
        }
        buf.append(UInt8(ascii: ")"))
        erroring = false
    }

    // MARK: basic kinds

    private mutating func fmtBool(_ b: Bool, _ verb: Unicode.Scalar) {
        switch verb {
        case "t", "v": padString(b ? "true" : "false")
        default: badVerb(verb)
        }
    }

    private mutating func fmtInteger(_ v: UInt64, signed: Bool, _ verb: Unicode.Scalar) {
        switch verb {
        case "v":
            if sharpV && !signed {
                sharp = true
                formatInteger(v, base: 16, signed: false, verb: "x", upper: false)
                sharp = false
            } else {
                formatInteger(v, base: 10, signed: signed, verb: verb, upper: false)
            }
        case "d": formatInteger(v, base: 10, signed: signed, verb: verb, upper: false)
        case "b": formatInteger(v, base: 2, signed: signed, verb: verb, upper: false)
        case "o", "O": formatInteger(v, base: 8, signed: signed, verb: verb, upper: false)
        case "x": formatInteger(v, base: 16, signed: signed, verb: verb, upper: false)
        case "X": formatInteger(v, base: 16, signed: signed, verb: verb, upper: true)
        case "c": pad(GoStrconv.utf8(runeOf(v, signed: signed)))
        case "q": pad(Array(GoStrconv.quoteRune(runeOf(v, signed: signed), asciiOnly: plus).utf8))
        case "U": fmtUnicode(v)
        default: badVerb(verb)
        }
    }

    private func runeOf(_ v: UInt64, signed: Bool) -> UInt32 {
        if v > 0x10FFFF { return 0xFFFD }
        let r = UInt32(v)
        if r >= 0xD800 && r <= 0xDFFF { return 0xFFFD }
        return r
    }

    private mutating func formatInteger(_ u0: UInt64, base: UInt64, signed: Bool, verb: Unicode.Scalar, upper: Bool) {
        let digits = Array((upper ? "0123456789ABCDEFX" : "0123456789abcdefx").utf8)
        let negative = signed && Int64(bitPattern: u0) < 0
        var u = negative ? 0 &- u0 : u0
        var precision = 0
        if precPresent {
            precision = prec
            if precision == 0 && u == 0 {
                let oldZero = zero
                zero = false
                writePadding(wid)
                zero = oldZero
                return
            }
        } else if zero && !minus && widPresent {
            precision = wid
            if negative || plus || space { precision -= 1 }
        }
        var out: [UInt8] = []
        repeat {
            out.append(digits[Int(u % base)])
            u /= base
        } while u > 0
        while out.count < precision { out.append(UInt8(ascii: "0")) }
        if sharp {
            switch base {
            case 2: out += [UInt8(ascii: "b"), UInt8(ascii: "0")]
            case 8: if out.last != UInt8(ascii: "0") { out.append(UInt8(ascii: "0")) }
            case 16: out += [digits[16], UInt8(ascii: "0")]
            default: break
            }
        }
        if verb == "O" { out += [UInt8(ascii: "o"), UInt8(ascii: "0")] }
        if negative {
            out.append(UInt8(ascii: "-"))
        } else if plus {
            out.append(UInt8(ascii: "+"))
        } else if space {
            out.append(UInt8(ascii: " "))
        }
        let oldZero = zero
        zero = false
        pad(out.reversed())
        zero = oldZero
    }

    private mutating func fmtUnicode(_ u0: UInt64) {
        var u = u0
        var precision = 4
        if precPresent && prec > 4 { precision = prec }
        var tail: [UInt8] = []
        if sharp && u <= 0x10FFFF && GoStrconv.isPrint(UInt32(u)) {
            tail = [0x20, 0x27] + GoStrconv.utf8(UInt32(u)) + [0x27]
        }
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        repeat {
            out.append(digits[Int(u & 0xF)])
            precision -= 1
            u >>= 4
        } while u > 0
        while precision > 0 {
            out.append(UInt8(ascii: "0"))
            precision -= 1
        }
        let oldZero = zero
        zero = false
        pad(Array("U+".utf8) + out.reversed() + tail)
        zero = oldZero
    }

    private mutating func fmtFloat(_ v: Double, _ verb: Unicode.Scalar) {
        switch verb {
        case "v": formatFloat(v, UInt8(ascii: "g"), -1)
        case "b", "g", "G", "x", "X": formatFloat(v, UInt8(verb.value), -1)
        case "f", "e", "E": formatFloat(v, UInt8(verb.value), 6)
        case "F": formatFloat(v, UInt8(ascii: "f"), 6)
        default: badVerb(verb)
        }
    }

    private mutating func formatFloat(_ v: Double, _ verb: UInt8, _ defaultPrec: Int) {
        let p = precPresent ? prec : defaultPrec
        var num = Array(GoFloatFormat.format(v, verb, p).utf8)
        if num.first == UInt8(ascii: "-") || num.first == UInt8(ascii: "+") {
            // keep the sign
        } else {
            num.insert(UInt8(ascii: "+"), at: 0)
        }
        if space && num[0] == UInt8(ascii: "+") && !plus { num[0] = UInt8(ascii: " ") }
        if num[1] == UInt8(ascii: "I") || num[1] == UInt8(ascii: "N") {
            let oldZero = zero
            zero = false
            if num[1] == UInt8(ascii: "N") && !space && !plus { num.removeFirst() }
            pad(num)
            zero = oldZero
            return
        }
        if sharp && verb != UInt8(ascii: "b") {
            var digits = 0
            if verb == UInt8(ascii: "g") || verb == UInt8(ascii: "G") || verb == UInt8(ascii: "x") {
                digits = p == -1 ? 6 : p
            }
            var tail: [UInt8] = []
            var hasDecimalPoint = false
            var sawNonzeroDigit = false
            var i = 1
            while i < num.count {
                let c = num[i]
                if c == UInt8(ascii: ".") {
                    hasDecimalPoint = true
                } else if c == UInt8(ascii: "p") || c == UInt8(ascii: "P") {
                    tail = Array(num[i...])
                    num = Array(num[..<i])
                    break
                } else if (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) && verb != UInt8(ascii: "x") && verb != UInt8(ascii: "X") {
                    tail = Array(num[i...])
                    num = Array(num[..<i])
                    break
                } else {
                    if c != UInt8(ascii: "0") { sawNonzeroDigit = true }
                    if sawNonzeroDigit { digits -= 1 }
                }
                i += 1
            }
            if !hasDecimalPoint {
                if num.count == 2 && num[1] == UInt8(ascii: "0") { digits -= 1 }
                num.append(UInt8(ascii: "."))
            }
            while digits > 0 {
                num.append(UInt8(ascii: "0"))
                digits -= 1
            }
            num += tail
        }
        if plus || num[0] != UInt8(ascii: "+") {
            if zero && !minus && widPresent && wid > num.count {
                buf.append(num[0])
                writePadding(wid - num.count)
                buf += num[1...]
                return
            }
            pad(num)
            return
        }
        pad(Array(num[1...]))
    }

    private mutating func fmtString(_ s: String, _ verb: Unicode.Scalar) {
        switch verb {
        case "v": if sharpV { fmtQ(s) } else { fmtS(s) }
        case "s": fmtS(s)
        case "x": fmtSx(Array(s.utf8), upper: false)
        case "X": fmtSx(Array(s.utf8), upper: true)
        case "q": fmtQ(s)
        default: badVerb(verb)
        }
    }

    private func truncate(_ s: String) -> String {
        guard precPresent else { return s }
        var n = prec
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            n -= 1
            if n < 0 { break }
            out.append(u)
        }
        return String(out)
    }

    private mutating func fmtS(_ s: String) { padString(truncate(s)) }

    private mutating func fmtQ(_ s0: String) {
        let s = truncate(s0)
        if sharp && GoStrconv.canBackquote(s) {
            padString("`" + s + "`")
            return
        }
        pad(Array(GoStrconv.quote(s, asciiOnly: plus).utf8))
    }

    private mutating func fmtSx(_ b: [UInt8], upper: Bool) {
        let digits = Array((upper ? "0123456789ABCDEFX" : "0123456789abcdefx").utf8)
        var length = b.count
        if precPresent && prec < length { length = prec }
        var width = 2 * length
        if width > 0 {
            if space {
                if sharp { width *= 2 }
                width += length - 1
            } else if sharp {
                width += 2
            }
        } else {
            if widPresent { writePadding(wid) }
            return
        }
        if widPresent && wid > width && !minus { writePadding(wid - width) }
        if sharp { buf += [UInt8(ascii: "0"), digits[16]] }
        for i in 0..<length {
            if space && i > 0 {
                buf.append(0x20)
                if sharp { buf += [UInt8(ascii: "0"), digits[16]] }
            }
            buf += [digits[Int(b[i] >> 4)], digits[Int(b[i] & 0xF)]]
        }
        if widPresent && wid > width && minus { writePadding(wid - width) }
    }

    // MARK: padding

    private mutating func writePadding(_ n: Int) {
        if n <= 0 { return }
        buf += [UInt8](repeating: zero ? UInt8(ascii: "0") : UInt8(ascii: " "), count: n)
    }

    private mutating func pad(_ b: [UInt8]) {
        if !widPresent || wid == 0 {
            buf += b
            return
        }
        let width = wid - String(decoding: b, as: UTF8.self).unicodeScalars.count
        if !minus {
            writePadding(width)
            buf += b
        } else {
            buf += b
            writePadding(width)
        }
    }

    private mutating func padString(_ s: String) { pad(Array(s.utf8)) }
}

/// Go's string order (bytewise), which map iteration and `sortByLabel` use.
func goLess(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
