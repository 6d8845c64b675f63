/// Go text/template's lexer. Token boundaries, trim markers and the error texts are Go's,
/// because parse errors quote tokens and name lines the way Go does.
enum ItemType: Int, Comparable {
    case error, bool, char, charConstant, complex, assign, declare, eof, field, identifier,
         leftDelim, leftParen, number, pipe, rawString, rightDelim, rightParen, space, string,
         text, variable
    // Keywords appear after all the rest.
    case keyword, block, `break`, `continue`, dot, define, `else`, end, `if`, `nil`, range,
         template, with

    static func < (a: ItemType, b: ItemType) -> Bool { a.rawValue < b.rawValue }

    static let keywords: [String: ItemType] = [
        ".": .dot, "block": .block, "break": .break, "continue": .continue, "define": .define,
        "else": .else, "end": .end, "if": .if, "range": .range, "nil": .nil,
        "template": .template, "with": .with,
    ]
}

struct Item {
    var typ: ItemType
    var pos: Int
    var val: String
    var line: Int

    /// Go's `item.String()`, used in "unexpected … in …" messages.
    var goString: String {
        switch typ {
        case .eof: return "EOF"
        case .error: return val
        default:
            if typ > .keyword { return "<\(val)>" }
            let scalars = Array(val.unicodeScalars)
            if scalars.count > 10 {
                var head = String.UnicodeScalarView()
                head.append(contentsOf: scalars[0..<10])
                return GoStrconv.quote(String(head)) + "..."
            }
            return GoStrconv.quote(val)
        }
    }
}

struct Lexer {
    private let input: [UInt8]
    private let leftDelim: [UInt8] = Array("{{".utf8)
    private let rightDelim: [UInt8] = Array("}}".utf8)
    private var pos = 0
    private var start = 0
    private var atEOF = false
    private var parenDepth = 0
    private var line = 1
    private var startLine = 1
    private(set) var items: [Item] = []

    /// Lexes the whole input; the item list ends with EOF or with the first error.
    static func lex(_ text: String) -> [Item] {
        var l = Lexer(input: Array(text.utf8))
        l.run()
        return l.items
    }

    private init(input: [UInt8]) {
        self.input = input
    }

    private enum State { case text, leftDelim, comment, rightDelim, insideAction, space, identifier,
                          field, variable, char, number, quote, rawQuote, done }

    private mutating func run() {
        var state = State.text
        while state != .done {
            switch state {
            case .text: state = lexText()
            case .leftDelim: state = lexLeftDelim()
            case .comment: state = lexComment()
            case .rightDelim: state = lexRightDelim()
            case .insideAction: state = lexInsideAction()
            case .space: state = lexSpace()
            case .identifier: state = lexIdentifier()
            case .field: state = lexFieldOrVariable(.field)
            case .variable: state = lexVariable()
            case .char: state = lexChar()
            case .number: state = lexNumber()
            case .quote: state = lexQuote()
            case .rawQuote: state = lexRawQuote()
            case .done: break
            }
        }
    }

    // MARK: primitives

    private static let eofRune: UInt32 = 0xFFFF_FFFF

    private mutating func next() -> UInt32 {
        if pos >= input.count {
            atEOF = true
            return Self.eofRune
        }
        let (r, w) = GoStrconv.decodeRune(input, pos)
        pos += w
        if r == 0x0A { line += 1 }
        return r
    }

    private mutating func backup() {
        if !atEOF && pos > 0 {
            var p = pos - 1
            while p > 0 && input[p] & 0xC0 == 0x80 && pos - p < 4 { p -= 1 }
            let (r, w) = GoStrconv.decodeRune(input, p)
            let back = p + w == pos ? w : 1
            pos -= back
            if r == 0x0A && back == 1 { line -= 1 }
        }
        atEOF = false
    }

    private mutating func peek() -> UInt32 {
        let r = next()
        backup()
        return r
    }

    private func slice(_ a: Int, _ b: Int) -> String { String(decoding: input[a..<b], as: UTF8.self) }

    private mutating func thisItem(_ t: ItemType) -> Item {
        let i = Item(typ: t, pos: start, val: slice(start, pos), line: startLine)
        start = pos
        startLine = line
        return i
    }

    private mutating func emit(_ t: ItemType) { items.append(thisItem(t)) }

    private mutating func ignore() {
        line += input[start..<pos].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        start = pos
        startLine = line
    }

    private mutating func errorf(_ msg: String) -> State {
        items.append(Item(typ: .error, pos: start, val: msg, line: startLine))
        return .done
    }

    private func hasPrefix(_ p: [UInt8], at i: Int) -> Bool {
        guard i >= 0, i + p.count <= input.count else { return false }
        for k in 0..<p.count where input[i + k] != p[k] { return false }
        return true
    }

    private static func isSpace(_ r: UInt32) -> Bool { r == 0x20 || r == 0x09 || r == 0x0D || r == 0x0A }

    private static func isAlphaNumeric(_ r: UInt32) -> Bool {
        r == 0x5F || GoStrconv.isLetter(r) || GoStrconv.isDigit(r)
    }

    private func hasLeftTrimMarker(at i: Int) -> Bool {
        i + 1 < input.count && input[i] == 0x2D && Self.isSpace(UInt32(input[i + 1]))
    }

    private func hasRightTrimMarker(at i: Int) -> Bool {
        i + 1 < input.count && Self.isSpace(UInt32(input[i])) && input[i + 1] == 0x2D
    }

    private func atRightDelim() -> (delim: Bool, trim: Bool) {
        if hasRightTrimMarker(at: pos) && hasPrefix(rightDelim, at: pos + 2) { return (true, true) }
        if hasPrefix(rightDelim, at: pos) { return (true, false) }
        return (false, false)
    }

    private func rightTrimLength(_ a: Int, _ b: Int) -> Int {
        var n = 0
        var i = b
        while i > a, Self.isSpace(UInt32(input[i - 1])) {
            n += 1
            i -= 1
        }
        return n
    }

    private func leftTrimLength(_ a: Int) -> Int {
        var i = a
        while i < input.count, Self.isSpace(UInt32(input[i])) { i += 1 }
        return i - a
    }

    private func indexOf(_ p: [UInt8], from: Int) -> Int? {
        var i = from
        while i + p.count <= input.count {
            if hasPrefix(p, at: i) { return i }
            i += 1
        }
        return nil
    }

    private func countNewlines(_ a: Int, _ b: Int) -> Int {
        input[a..<b].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
    }

    // MARK: states

    private mutating func lexText() -> State {
        if let x = indexOf(leftDelim, from: pos) {
            if x > pos {
                pos = x
                var trim = 0
                if hasLeftTrimMarker(at: pos + leftDelim.count) { trim = rightTrimLength(start, pos) }
                pos -= trim
                line += countNewlines(start, pos)
                let i = thisItem(.text)
                pos += trim
                ignore()
                if !i.val.isEmpty { items.append(i) }
            }
            return .leftDelim
        }
        pos = input.count
        if pos > start {
            line += countNewlines(start, pos)
            emit(.text)
        }
        emit(.eof)
        return .done
    }

    private mutating func lexLeftDelim() -> State {
        pos += leftDelim.count
        let trim = hasLeftTrimMarker(at: pos)
        let after = trim ? 2 : 0
        if hasPrefix(Array("/*".utf8), at: pos + after) {
            pos += after
            ignore()
            return .comment
        }
        let i = thisItem(.leftDelim)
        pos += after
        ignore()
        parenDepth = 0
        items.append(i)
        return .insideAction
    }

    private mutating func lexComment() -> State {
        pos += 2
        guard let x = indexOf(Array("*/".utf8), from: pos) else { return errorf("unclosed comment") }
        pos = x + 2
        let (delim, trim) = atRightDelim()
        if !delim { return errorf("comment ends before closing delimiter") }
        if trim { pos += 2 }
        pos += rightDelim.count
        if trim { pos += leftTrimLength(pos) }
        ignore()
        return .text
    }

    private mutating func lexRightDelim() -> State {
        let (_, trim) = atRightDelim()
        if trim {
            pos += 2
            ignore()
        }
        pos += rightDelim.count
        let i = thisItem(.rightDelim)
        if trim {
            pos += leftTrimLength(pos)
            ignore()
        }
        items.append(i)
        return .text
    }

    private mutating func lexInsideAction() -> State {
        let (delim, _) = atRightDelim()
        if delim {
            if parenDepth == 0 { return .rightDelim }
            return errorf("unclosed left paren")
        }
        let r = next()
        switch r {
        case Self.eofRune:
            return errorf("unclosed action")
        case _ where Self.isSpace(r):
            backup()
            return .space
        case 0x3D:
            emit(.assign)
        case 0x3A:
            if next() != 0x3D { return errorf("expected :=") }
            emit(.declare)
        case 0x7C:
            emit(.pipe)
        case 0x22:
            return .quote
        case 0x60:
            return .rawQuote
        case 0x24:
            return .variable
        case 0x27:
            return .char
        case 0x2E:
            if pos < input.count {
                let c = input[pos]
                if c < 0x30 || c > 0x39 { return .field }
            }
            backup()
            return .number
        case 0x2B, 0x2D, 0x30...0x39:
            backup()
            return .number
        case _ where Self.isAlphaNumeric(r):
            backup()
            return .identifier
        case 0x28:
            emit(.leftParen)
            parenDepth += 1
        case 0x29:
            if parenDepth == 0 { return errorf("unexpected right paren") }
            parenDepth -= 1
            emit(.rightParen)
        case _ where r < 0x80 && GoStrconv.isPrint(r):
            emit(.char)
        default:
            return errorf("unrecognized character in action: \(GoFmt.unicodeSharp(r))")
        }
        return .insideAction
    }

    private mutating func lexSpace() -> State {
        var numSpaces = 0
        while Self.isSpace(peek()) {
            _ = next()
            numSpaces += 1
        }
        if hasRightTrimMarker(at: pos - 1) && hasPrefix(rightDelim, at: pos - 1 + 2) {
            backup()
            if numSpaces == 1 { return .rightDelim }
        }
        emit(.space)
        return .insideAction
    }

    private mutating func lexIdentifier() -> State {
        while true {
            let r = next()
            if Self.isAlphaNumeric(r) { continue }
            backup()
            let word = slice(start, pos)
            if !atTerminator() { return errorf("bad character \(GoFmt.unicodeSharp(r))") }
            if let k = ItemType.keywords[word], k > .keyword {
                emit(k)
            } else if word.first == "." {
                emit(.field)
            } else if word == "true" || word == "false" {
                emit(.bool)
            } else {
                emit(.identifier)
            }
            return .insideAction
        }
    }

    private mutating func lexVariable() -> State {
        if atTerminator() {
            emit(.variable)
            return .insideAction
        }
        return lexFieldOrVariable(.variable)
    }

    private mutating func lexFieldOrVariable(_ typ: ItemType) -> State {
        if atTerminator() {
            emit(typ == .variable ? .variable : .dot)
            return .insideAction
        }
        var r: UInt32
        repeat {
            r = next()
        } while Self.isAlphaNumeric(r)
        backup()
        if !atTerminator() { return errorf("bad character \(GoFmt.unicodeSharp(r))") }
        emit(typ)
        return .insideAction
    }

    private mutating func atTerminator() -> Bool {
        let r = peek()
        if Self.isSpace(r) { return true }
        switch r {
        case Self.eofRune, 0x2E, 0x2C, 0x7C, 0x3A, 0x29, 0x28: return true
        default: return hasPrefix(rightDelim, at: pos)
        }
    }

    private mutating func lexChar() -> State {
        while true {
            let r = next()
            if r == 0x5C {
                let r2 = next()
                if r2 != Self.eofRune && r2 != 0x0A { continue }
                return errorf("unterminated character constant")
            }
            if r == Self.eofRune || r == 0x0A { return errorf("unterminated character constant") }
            if r == 0x27 { break }
        }
        emit(.charConstant)
        return .insideAction
    }

    private mutating func lexNumber() -> State {
        if !scanNumber() { return errorf("bad number syntax: \(GoStrconv.quote(slice(start, pos)))") }
        let sign = peek()
        if sign == 0x2B || sign == 0x2D {
            if !scanNumber() || input[pos - 1] != UInt8(ascii: "i") {
                return errorf("bad number syntax: \(GoStrconv.quote(slice(start, pos)))")
            }
            emit(.complex)
        } else {
            emit(.number)
        }
        return .insideAction
    }

    private mutating func accept(_ valid: String) -> Bool {
        let r = next()
        if r != Self.eofRune, let u = Unicode.Scalar(r), valid.unicodeScalars.contains(u) { return true }
        backup()
        return false
    }

    private mutating func acceptRun(_ valid: String) {
        while true {
            let r = next()
            if r != Self.eofRune, let u = Unicode.Scalar(r), valid.unicodeScalars.contains(u) { continue }
            break
        }
        backup()
    }

    private mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits = "0123456789_"
        if accept("0") {
            if accept("xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept("oO") {
                digits = "01234567_"
            } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.count == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.count == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if Self.isAlphaNumeric(peek()) {
            _ = next()
            return false
        }
        return true
    }

    private mutating func lexQuote() -> State {
        while true {
            let r = next()
            if r == 0x5C {
                let r2 = next()
                if r2 != Self.eofRune && r2 != 0x0A { continue }
                return errorf("unterminated quoted string")
            }
            if r == Self.eofRune || r == 0x0A { return errorf("unterminated quoted string") }
            if r == 0x22 { break }
        }
        emit(.string)
        return .insideAction
    }

    private mutating func lexRawQuote() -> State {
        while true {
            let r = next()
            if r == Self.eofRune { return errorf("unterminated raw quoted string") }
            if r == 0x60 { break }
        }
        emit(.rawString)
        return .insideAction
    }
}
