/// Parse-tree nodes of Go's text/template. Each node knows its byte offset (error columns) and
/// prints itself the way Go's `Node.String()` does, because execution errors quote the node
/// they happened at (`executing "x" at <humanize "a">`).
protocol Node: AnyObject, Sendable {
    var pos: Int { get }
    func write(to s: inout String)
}

extension Node {
    var goString: String {
        var s = ""
        write(to: &s)
        return s
    }
}

final class ListNode: Node {
    let pos: Int
    let nodes: [any Node]
    init(pos: Int, nodes: [any Node]) {
        self.pos = pos
        self.nodes = nodes
    }
    func write(to s: inout String) { for n in nodes { n.write(to: &s) } }
}

final class TextNode: Node {
    let pos: Int
    let text: String
    init(pos: Int, text: String) {
        self.pos = pos
        self.text = text
    }
    func write(to s: inout String) { s += text }
}

final class PipeNode: Node {
    let pos: Int
    let line: Int
    let isAssign: Bool
    let decl: [VariableNode]
    let cmds: [CommandNode]
    init(pos: Int, line: Int, isAssign: Bool, decl: [VariableNode], cmds: [CommandNode]) {
        self.pos = pos
        self.line = line
        self.isAssign = isAssign
        self.decl = decl
        self.cmds = cmds
    }
    func write(to s: inout String) {
        if !decl.isEmpty {
            for (i, v) in decl.enumerated() {
                if i > 0 { s += ", " }
                v.write(to: &s)
            }
            s += " := "
        }
        for (i, c) in cmds.enumerated() {
            if i > 0 { s += " | " }
            c.write(to: &s)
        }
    }
}

final class ActionNode: Node {
    let pos: Int
    let line: Int
    let pipe: PipeNode
    init(pos: Int, line: Int, pipe: PipeNode) {
        self.pos = pos
        self.line = line
        self.pipe = pipe
    }
    func write(to s: inout String) {
        s += "{{"
        pipe.write(to: &s)
        s += "}}"
    }
}

final class CommandNode: Node {
    let pos: Int
    let args: [any Node]
    init(pos: Int, args: [any Node]) {
        self.pos = pos
        self.args = args
    }
    func write(to s: inout String) {
        for (i, a) in args.enumerated() {
            if i > 0 { s += " " }
            if let p = a as? PipeNode {
                s += "("
                p.write(to: &s)
                s += ")"
            } else {
                a.write(to: &s)
            }
        }
    }
}

final class IdentifierNode: Node {
    let pos: Int
    let ident: String
    init(pos: Int, ident: String) {
        self.pos = pos
        self.ident = ident
    }
    func write(to s: inout String) { s += ident }
}

final class VariableNode: Node {
    let pos: Int
    /// The variable name (with `$`) followed by field names.
    let ident: [String]
    init(pos: Int, text: String) {
        self.pos = pos
        self.ident = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
    func write(to s: inout String) { s += ident.joined(separator: ".") }
}

final class DotNode: Node {
    let pos: Int
    init(pos: Int) { self.pos = pos }
    func write(to s: inout String) { s += "." }
}

final class NilNode: Node {
    let pos: Int
    init(pos: Int) { self.pos = pos }
    func write(to s: inout String) { s += "nil" }
}

final class FieldNode: Node {
    let pos: Int
    let ident: [String]
    init(pos: Int, text: String) {
        self.pos = pos
        self.ident = text.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
    func write(to s: inout String) { for id in ident { s += "." + id } }
}

final class ChainNode: Node {
    let pos: Int
    let node: any Node
    let field: [String]
    init(pos: Int, node: any Node, field: [String]) {
        self.pos = pos
        self.node = node
        self.field = field
    }
    func write(to s: inout String) {
        if let p = node as? PipeNode {
            s += "("
            p.write(to: &s)
            s += ")"
        } else {
            node.write(to: &s)
        }
        for f in field { s += "." + f }
    }
}

final class BoolNode: Node {
    let pos: Int
    let value: Bool
    init(pos: Int, value: Bool) {
        self.pos = pos
        self.value = value
    }
    func write(to s: inout String) { s += value ? "true" : "false" }
}

/// A number literal with every Go type it can stand for (Go's ideal constants).
final class NumberNode: Node {
    let pos: Int
    let text: String
    let isInt: Bool
    let isUint: Bool
    let isFloat: Bool
    let int64: Int64
    let uint64: UInt64
    let float64: Double
    init(pos: Int, text: String, isInt: Bool, isUint: Bool, isFloat: Bool, int64: Int64, uint64: UInt64, float64: Double) {
        self.pos = pos
        self.text = text
        self.isInt = isInt
        self.isUint = isUint
        self.isFloat = isFloat
        self.int64 = int64
        self.uint64 = uint64
        self.float64 = float64
    }
    func write(to s: inout String) { s += text }
}

final class StringNode: Node {
    let pos: Int
    let quoted: String
    let text: String
    init(pos: Int, quoted: String, text: String) {
        self.pos = pos
        self.quoted = quoted
        self.text = text
    }
    func write(to s: inout String) { s += quoted }
}

/// `{{end}}` and `{{else}}`: only seen by the parser.
final class EndNode: Node {
    let pos: Int
    init(pos: Int) { self.pos = pos }
    func write(to s: inout String) { s += "{{end}}" }
}

final class ElseNode: Node {
    let pos: Int
    let line: Int
    init(pos: Int, line: Int) {
        self.pos = pos
        self.line = line
    }
    func write(to s: inout String) { s += "{{else}}" }
}

enum BranchKind: String, Sendable { case `if`, range, with }

/// `if`, `range` and `with`.
final class BranchNode: Node {
    let kind: BranchKind
    let pos: Int
    let line: Int
    let pipe: PipeNode
    let list: ListNode
    let elseList: ListNode?
    init(kind: BranchKind, pos: Int, line: Int, pipe: PipeNode, list: ListNode, elseList: ListNode?) {
        self.kind = kind
        self.pos = pos
        self.line = line
        self.pipe = pipe
        self.list = list
        self.elseList = elseList
    }
    func write(to s: inout String) {
        s += "{{\(kind.rawValue) "
        pipe.write(to: &s)
        s += "}}"
        list.write(to: &s)
        if let e = elseList {
            s += "{{else}}"
            e.write(to: &s)
        }
        s += "{{end}}"
    }
}

final class TemplateNode: Node {
    let pos: Int
    let line: Int
    let name: String
    let pipe: PipeNode?
    init(pos: Int, line: Int, name: String, pipe: PipeNode?) {
        self.pos = pos
        self.line = line
        self.name = name
        self.pipe = pipe
    }
    func write(to s: inout String) {
        s += "{{template " + GoStrconv.quote(name)
        if let p = pipe {
            s += " "
            p.write(to: &s)
        }
        s += "}}"
    }
}

final class BreakNode: Node {
    let pos: Int
    init(pos: Int) { self.pos = pos }
    func write(to s: inout String) { s += "{{break}}" }
}

final class ContinueNode: Node {
    let pos: Int
    init(pos: Int) { self.pos = pos }
    func write(to s: inout String) { s += "{{continue}}" }
}
