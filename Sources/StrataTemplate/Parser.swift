/// Go text/template's parser: the grammar, the three-token look-ahead (error messages name
/// the line of the last token read, as Go's do), the parse-time checks Prometheus relies on
/// when it validates rule files (unknown functions, undefined variables) and `define`/`block`.
struct ParseFailure: Error {
    let message: String
}

/// The tokens of one template text, shared by the parsers of its `define`d templates.
final class TokenStream {
    private let items: [Item]
    private var index = 0
    init(_ items: [Item]) { self.items = items }
    func next() -> Item {
        if index < items.count {
            index += 1
            return items[index - 1]
        }
        return items.last ?? Item(typ: .eof, pos: 0, val: "", line: 1)
    }
}

/// Every template named in one text: the top-level one and those from `define`/`block`.
final class TreeSet {
    var trees: [String: ListNode] = [:]
}

final class Parser {
    /// Go allows 10000 nested parentheses; a recursive-descent parser on a task's stack
    /// cannot, so Strata stops at this depth (parentheses and nested if/range/with alike).
    static let maxDepth = 100

    private let stream: TokenStream
    private let treeSet: TreeSet
    private let funcs: Set<String>
    private let parseName: String
    private var name: String
    private var token = [Item](repeating: Item(typ: .eof, pos: 0, val: "", line: 0), count: 3)
    private var peekCount = 0
    private var vars = ["$"]
    private var actionLine = 0
    private var rangeDepth = 0
    private var stackDepth = 0
    private var nesting = 0

    private init(name: String, parseName: String, stream: TokenStream, treeSet: TreeSet, funcs: Set<String>) {
        self.name = name
        self.parseName = parseName
        self.stream = stream
        self.treeSet = treeSet
        self.funcs = funcs
    }

    /// Parses `text` as the template `name`; returns every template it defines.
    static func parse(name: String, text: String, funcs: Set<String>) throws -> [String: ListNode] {
        let set = TreeSet()
        let p = Parser(name: name, parseName: name, stream: TokenStream(Lexer.lex(text)), treeSet: set, funcs: funcs)
        let root = try p.parseTop()
        try p.add(root)
        return set.trees
    }

    // MARK: tokens

    private func next() -> Item {
        if peekCount > 0 {
            peekCount -= 1
        } else {
            token[0] = stream.next()
        }
        return token[peekCount]
    }

    private func backup() { peekCount += 1 }

    private func backup2(_ t1: Item) {
        token[1] = t1
        peekCount = 2
    }

    private func backup3(_ t2: Item, _ t1: Item) {
        token[1] = t1
        token[2] = t2
        peekCount = 3
    }

    private func peek() -> Item {
        if peekCount > 0 { return token[peekCount - 1] }
        peekCount = 1
        token[0] = stream.next()
        return token[0]
    }

    private func nextNonSpace() -> Item {
        while true {
            let t = next()
            if t.typ != .space { return t }
        }
    }

    private func peekNonSpace() -> Item {
        let t = nextNonSpace()
        backup()
        return t
    }

    // MARK: errors

    private func errorf(_ msg: String) -> ParseFailure {
        ParseFailure(message: "template: \(parseName):\(token[0].line): \(msg)")
    }

    private func expect(_ expected: ItemType, _ context: String) throws -> Item {
        let t = nextNonSpace()
        if t.typ != expected { throw unexpected(t, context) }
        return t
    }

    private func expectOneOf(_ e1: ItemType, _ e2: ItemType, _ context: String) throws -> Item {
        let t = nextNonSpace()
        if t.typ != e1 && t.typ != e2 { throw unexpected(t, context) }
        return t
    }

    private func unexpected(_ t: Item, _ context: String) -> ParseFailure {
        if t.typ == .error {
            var extra = ""
            if actionLine != 0 && actionLine != t.line {
                extra = " in action started at \(parseName):\(actionLine)"
                if t.val.hasSuffix(" action") { extra = String(extra.dropFirst(" in action".count)) }
            }
            return errorf(t.goString + extra)
        }
        return errorf("unexpected \(t.goString) in \(context)")
    }

    // MARK: trees

    private func add(_ root: ListNode) throws {
        if let existing = treeSet.trees[name], !Self.isEmptyTree(existing) {
            if !Self.isEmptyTree(root) {
                throw errorf("template: multiple definition of template \(GoStrconv.quote(name))")
            }
            return
        }
        treeSet.trees[name] = root
    }

    static func isEmptyTree(_ n: any Node) -> Bool {
        switch n {
        case let l as ListNode: return l.nodes.allSatisfy(isEmptyTree)
        case let t as TextNode: return t.text.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C }
        default: return false
        }
    }

    private func subParser(_ name: String) -> Parser {
        Parser(name: name, parseName: parseName, stream: stream, treeSet: treeSet, funcs: funcs)
    }

    private func parseTop() throws -> ListNode {
        let pos = peek().pos
        var nodes: [any Node] = []
        while peek().typ != .eof {
            if peek().typ == .leftDelim {
                let delim = next()
                if nextNonSpace().typ == .define {
                    let d = subParser("definition")
                    try d.parseDefinition()
                    continue
                }
                backup2(delim)
            }
            let n = try textOrAction()
            if n is EndNode || n is ElseNode { throw errorf("unexpected \(n.goString)") }
            nodes.append(n)
        }
        return ListNode(pos: pos, nodes: nodes)
    }

    private func parseDefinition() throws {
        let context = "define clause"
        let nameTok = try expectOneOf(.string, .rawString, context)
        do {
            name = try GoStrconv.unquote(nameTok.val)
        } catch {
            throw errorf("invalid syntax")
        }
        _ = try expect(.rightDelim, context)
        let (root, end) = try itemList()
        if !(end is EndNode) { throw errorf("unexpected \(end.goString) in \(context)") }
        try add(root)
    }

    private func itemList() throws -> (ListNode, any Node) {
        let pos = peekNonSpace().pos
        var nodes: [any Node] = []
        while peekNonSpace().typ != .eof {
            let n = try textOrAction()
            if n is EndNode || n is ElseNode { return (ListNode(pos: pos, nodes: nodes), n) }
            nodes.append(n)
        }
        throw errorf("unexpected EOF")
    }

    private func textOrAction() throws -> any Node {
        let t = nextNonSpace()
        switch t.typ {
        case .text:
            return TextNode(pos: t.pos, text: t.val)
        case .leftDelim:
            actionLine = t.line
            defer { actionLine = 0 }
            return try action()
        default:
            throw unexpected(t, "input")
        }
    }

    private func action() throws -> any Node {
        let t = nextNonSpace()
        switch t.typ {
        case .block: return try blockControl()
        case .break: return try breakControl(t.pos, isBreak: true)
        case .continue: return try breakControl(t.pos, isBreak: false)
        case .else: return try elseControl()
        case .end: return EndNode(pos: try expect(.rightDelim, "end").pos)
        case .if: return try branch(.if)
        case .range: return try branch(.range)
        case .template: return try templateControl()
        case .with: return try branch(.with)
        default: break
        }
        backup()
        let tok = peek()
        return ActionNode(pos: tok.pos, line: tok.line, pipe: try pipeline("command", end: .rightDelim))
    }

    private func breakControl(_ pos: Int, isBreak: Bool) throws -> any Node {
        let word = isBreak ? "{{break}}" : "{{continue}}"
        let t = nextNonSpace()
        if t.typ != .rightDelim { throw unexpected(t, word) }
        if rangeDepth == 0 { throw errorf("\(word) outside {{range}}") }
        return isBreak ? BreakNode(pos: pos) : ContinueNode(pos: pos)
    }

    private func pipeline(_ context: String, end: ItemType) throws -> PipeNode {
        let start = peekNonSpace()
        var decl: [VariableNode] = []
        var isAssign = false
        var cmds: [CommandNode] = []
        decls: while true {
            let v = peekNonSpace()
            guard v.typ == .variable else { break }
            _ = next()
            let tokenAfterVariable = peek()
            let nxt = peekNonSpace()
            if nxt.typ == .assign || nxt.typ == .declare {
                isAssign = nxt.typ == .assign
                _ = nextNonSpace()
                decl.append(VariableNode(pos: v.pos, text: v.val))
                vars.append(v.val)
            } else if nxt.typ == .char && nxt.val == "," {
                _ = nextNonSpace()
                decl.append(VariableNode(pos: v.pos, text: v.val))
                vars.append(v.val)
                if context == "range" && decl.count < 2 {
                    switch peekNonSpace().typ {
                    case .variable, .rightDelim, .rightParen: continue decls
                    default: throw errorf("range can only initialize variables")
                    }
                }
                throw errorf("too many declarations in \(context)")
            } else if tokenAfterVariable.typ == .space {
                backup3(v, tokenAfterVariable)
            } else {
                backup2(v)
            }
            break
        }
        while true {
            let t = nextNonSpace()
            switch t.typ {
            case end:
                if cmds.isEmpty { throw errorf("missing value for \(context)") }
                for (i, c) in cmds.enumerated().dropFirst() {
                    switch c.args[0] {
                    case is BoolNode, is DotNode, is NilNode, is NumberNode, is StringNode:
                        throw errorf("non executable command in pipeline stage \(i + 1)")
                    default: break
                    }
                }
                return PipeNode(pos: start.pos, line: start.line, isAssign: isAssign, decl: decl, cmds: cmds)
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .nil, .rawString,
                 .string, .variable, .leftParen:
                backup()
                cmds.append(try command())
            default:
                throw unexpected(t, context)
            }
        }
    }

    private func branch(_ kind: BranchKind) throws -> BranchNode {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maxDepth { throw errorf("max expression depth exceeded") }
        let context = kind.rawValue
        let savedVars = vars.count
        defer { vars.removeLast(vars.count - savedVars) }
        let pipe = try pipeline(context, end: .rightDelim)
        if kind == .range { rangeDepth += 1 }
        let (list, nextNode) = try itemList()
        if kind == .range { rangeDepth -= 1 }
        var elseList: ListNode?
        if nextNode is ElseNode {
            if kind == .if && peek().typ == .if {
                _ = next()
                elseList = ListNode(pos: nextNode.pos, nodes: [try branch(.if)])
            } else if kind == .with && peek().typ == .with {
                _ = next()
                elseList = ListNode(pos: nextNode.pos, nodes: [try branch(.with)])
            } else {
                let (l, end) = try itemList()
                if !(end is EndNode) { throw errorf("expected end; found \(end.goString)") }
                elseList = l
            }
        }
        return BranchNode(kind: kind, pos: pipe.pos, line: pipe.line, pipe: pipe, list: list, elseList: elseList)
    }

    private func elseControl() throws -> any Node {
        let p = peekNonSpace()
        if p.typ == .if || p.typ == .with { return ElseNode(pos: p.pos, line: p.line) }
        let t = try expect(.rightDelim, "else")
        return ElseNode(pos: t.pos, line: t.line)
    }

    private func blockControl() throws -> any Node {
        let context = "block clause"
        let t = nextNonSpace()
        let blockName = try templateName(t, context)
        let pipe = try pipeline(context, end: .rightDelim)
        let block = subParser(blockName)
        block.nesting = nesting + 1
        if block.nesting > Self.maxDepth { throw errorf("max expression depth exceeded") }
        let (root, end) = try block.itemList()
        if !(end is EndNode) { throw errorf("unexpected \(end.goString) in \(context)") }
        try block.add(root)
        return TemplateNode(pos: t.pos, line: t.line, name: blockName, pipe: pipe)
    }

    private func templateControl() throws -> any Node {
        let context = "template clause"
        let t = nextNonSpace()
        let tmplName = try templateName(t, context)
        var pipe: PipeNode?
        if nextNonSpace().typ != .rightDelim {
            backup()
            pipe = try pipeline(context, end: .rightDelim)
        }
        return TemplateNode(pos: t.pos, line: t.line, name: tmplName, pipe: pipe)
    }

    private func templateName(_ t: Item, _ context: String) throws -> String {
        switch t.typ {
        case .string, .rawString:
            do {
                return try GoStrconv.unquote(t.val)
            } catch {
                throw errorf("invalid syntax")
            }
        default:
            throw unexpected(t, context)
        }
    }

    private func command() throws -> CommandNode {
        let pos = peekNonSpace().pos
        var args: [any Node] = []
        loop: while true {
            _ = peekNonSpace()
            if let operand = try operand() { args.append(operand) }
            let t = next()
            switch t.typ {
            case .space: continue loop
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(t, "operand")
            }
            break
        }
        if args.isEmpty { throw errorf("empty command") }
        return CommandNode(pos: pos, args: args)
    }

    private func operand() throws -> (any Node)? {
        guard let node = try term() else { return nil }
        if peek().typ == .field {
            let chainPos = peek().pos
            var fields: [String] = []
            while peek().typ == .field { fields.append(String(next().val.dropFirst())) }
            let chain = ChainNode(pos: chainPos, node: node, field: fields)
            switch node {
            case is FieldNode: return FieldNode(pos: chain.pos, text: chain.goString)
            case is VariableNode: return VariableNode(pos: chain.pos, text: chain.goString)
            case is BoolNode, is StringNode, is NumberNode, is NilNode, is DotNode:
                throw errorf("unexpected . after term \(GoStrconv.quote(node.goString))")
            default: return chain
            }
        }
        return node
    }

    private func term() throws -> (any Node)? {
        let t = nextNonSpace()
        switch t.typ {
        case .identifier:
            if !funcs.contains(t.val) { throw errorf("function \(GoStrconv.quote(t.val)) not defined") }
            return IdentifierNode(pos: t.pos, ident: t.val)
        case .dot:
            return DotNode(pos: t.pos)
        case .nil:
            return NilNode(pos: t.pos)
        case .variable:
            let v = VariableNode(pos: t.pos, text: t.val)
            if !vars.contains(v.ident[0]) { throw errorf("undefined variable \(GoStrconv.quote(v.ident[0]))") }
            return v
        case .field:
            return FieldNode(pos: t.pos, text: t.val)
        case .bool:
            return BoolNode(pos: t.pos, value: t.val == "true")
        case .charConstant, .complex, .number:
            return try number(t)
        case .leftParen:
            if stackDepth >= Self.maxDepth { throw errorf("max expression depth exceeded") }
            stackDepth += 1
            defer { stackDepth -= 1 }
            return try pipeline("parenthesized pipeline", end: .rightParen)
        case .string, .rawString:
            do {
                return StringNode(pos: t.pos, quoted: t.val, text: try GoStrconv.unquote(t.val))
            } catch {
                throw errorf("invalid syntax")
            }
        default:
            backup()
            return nil
        }
    }

    private func number(_ t: Item) throws -> NumberNode {
        let text = t.val
        if t.typ == .charConstant {
            let b = Array(text.utf8)
            let r: (value: UInt32, multibyte: Bool, next: Int)
            do {
                r = try GoStrconv.unquoteChar(b, 1, quote: 0x27)
            } catch {
                throw errorf("invalid syntax")
            }
            if r.next != b.count - 1 || b.last != 0x27 { throw errorf("malformed character constant: \(text)") }
            return NumberNode(pos: t.pos, text: text, isInt: true, isUint: true, isFloat: true,
                              int64: Int64(r.value), uint64: UInt64(r.value), float64: Double(r.value))
        }
        if t.typ == .complex || (text.hasSuffix("i") && (try? GoStrconv.parseFloat(String(text.dropLast()))) != nil) {
            throw errorf("complex constants are not supported: \(text)")
        }
        var isInt = false, isUint = false, isFloat = false
        var i64: Int64 = 0, u64: UInt64 = 0, f64 = 0.0
        let u = GoStrconv.parseUint(text)
        if let u {
            isUint = true
            u64 = u
        }
        if let i = GoStrconv.parseInt(text) {
            isInt = true
            i64 = i
            if i == 0 {
                isUint = true
                u64 = u ?? 0
            }
        }
        if isInt {
            isFloat = true
            f64 = Double(i64)
        } else if isUint {
            isFloat = true
            f64 = Double(u64)
        } else if let f = try? GoStrconv.parseFloat(text) {
            if !text.contains(where: { ".eEpP".contains($0) }) {
                throw errorf("integer overflow: \(GoStrconv.quote(text))")
            }
            isFloat = true
            f64 = f
            if let i = Int64(exactly: f) {
                isInt = true
                i64 = i
            }
            if let u = UInt64(exactly: f) {
                isUint = true
                u64 = u
            }
        }
        if !isInt && !isUint && !isFloat { throw errorf("illegal number syntax: \(GoStrconv.quote(text))") }
        return NumberNode(pos: t.pos, text: text, isInt: isInt, isUint: isUint, isFloat: isFloat,
                          int64: i64, uint64: u64, float64: f64)
    }
}
