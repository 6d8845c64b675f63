import Logging
import StrataCore
import Yams

/// A YAML mapping read key by key, remembering which keys were consumed so that the rest
/// can be reported. For the object storage config Thanos rejects unknown keys and Strata logs
/// a warning instead, so that a config written for a newer Thanos (or with a typo) still
/// starts — but visibly; security configs (web config, endpoint TLS) reject them like
/// Prometheus, because a misspelt auth setting must not silently mean "no auth".
public struct ConfigMap {
    public let path: String
    private var pairs: [(String, Node)] = []
    private var used: Set<String> = []

    public init(_ node: Node?, path: String) throws {
        self.path = path
        guard let node else { return }
        if case .scalar(let s) = node, s.string.isEmpty || s.string == "~" || s.string == "null" { return }
        guard let mapping = node.mapping else {
            throw ConfigError("\(path): expected a mapping")
        }
        for (k, v) in mapping {
            guard let key = k.string else { throw ConfigError("\(path): keys must be strings") }
            pairs.append((key, v))
        }
    }

    public func has(_ key: String) -> Bool { pairs.contains { $0.0 == key } }

    private mutating func node(_ key: String) -> Node? {
        used.insert(key)
        return pairs.first { $0.0 == key }?.1
    }

    private func isNull(_ n: Node) -> Bool {
        if case .scalar(let s) = n { return s.string.isEmpty || (s.style == .plain && (s.string == "~" || s.string == "null")) }
        return false
    }

    public mutating func string(_ key: String, default d: String = "") throws -> String {
        guard let n = node(key), !isNull(n) else { return d }
        guard case .scalar(let s) = n else { throw ConfigError("\(path).\(key): expected a string") }
        return s.string
    }

    public mutating func requiredString(_ key: String) throws -> String {
        let v = try string(key)
        if v.isEmpty { throw ConfigError("\(path).\(key) is required") }
        return v
    }

    public mutating func bool(_ key: String, default d: Bool = false) throws -> Bool {
        guard let n = node(key), !isNull(n) else { return d }
        guard case .scalar(let s) = n else { throw ConfigError("\(path).\(key): expected true or false") }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigError("\(path).\(key): expected true or false, got \"\(s.string)\"")
        }
    }

    public mutating func int(_ key: String, default d: Int64) throws -> Int64 {
        guard let n = node(key), !isNull(n) else { return d }
        guard case .scalar(let s) = n, let v = Int64(s.string) else {
            throw ConfigError("\(path).\(key): expected an integer")
        }
        return v
    }

    /// A Prometheus-style duration (`1m30s`), returned in milliseconds.
    public mutating func duration(_ key: String, default d: Int64) throws -> Int64 {
        let s = try string(key)
        if s.isEmpty { return d }
        do { return try parseDuration(s) } catch {
            throw ConfigError("\(path).\(key): invalid duration \"\(s)\": \(error)")
        }
    }

    public mutating func stringMap(_ key: String) throws -> [String: String] {
        var sub = try map(key)
        var out: [String: String] = [:]
        for k in sub.keys { out[k] = try sub.string(k) }
        return out
    }

    public mutating func map(_ key: String) throws -> ConfigMap {
        try ConfigMap(node(key), path: "\(path).\(key)")
    }

    public var keys: [String] { pairs.map(\.0) }

    /// Keys present in the YAML that nobody read.
    public var unknownKeys: [String] { pairs.map(\.0).filter { !used.contains($0) } }

    /// Logs one warning per unknown key (never values: they may be secrets).
    public func warnUnknown(_ logger: Logger) {
        for k in unknownKeys {
            logger.warning("unknown key in object storage config, ignored", metadata: ["key": "\(path).\(k)"])
        }
    }

    /// Throws on the first unknown key (never printing values: they may be secrets).
    public func rejectUnknown() throws {
        if let k = unknownKeys.first { throw ConfigError("\(path): unknown field \"\(k)\"") }
    }

    /// A sequence of mappings (`endpoints:`); empty when absent.
    public mutating func list(_ key: String) throws -> [ConfigMap] {
        guard let n = node(key), !isNull(n) else { return [] }
        guard let seq = n.sequence else { throw ConfigError("\(path).\(key): expected a list") }
        return try seq.enumerated().map { try ConfigMap($0.element, path: "\(path).\(key)[\($0.offset)]") }
    }

    /// A sequence of strings; empty when absent.
    public mutating func strings(_ key: String) throws -> [String] {
        guard let n = node(key), !isNull(n) else { return [] }
        guard let seq = n.sequence else { throw ConfigError("\(path).\(key): expected a list") }
        return try seq.map { item in
            guard case .scalar(let s) = item else { throw ConfigError("\(path).\(key): expected strings") }
            return s.string
        }
    }

    /// Parses YAML text into its top-level mapping; `name` (a file or flag) prefixes errors.
    public static func parse(yaml: String, name: String) throws -> ConfigMap {
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch {
            throw ConfigError("\(name): not valid YAML\(yamlPosition(error))")
        }
        return try ConfigMap(node, path: name)
    }

    /// Where a YAML error is. Yams's messages quote the offending line, which may hold a
    /// secret: only the position is reported.
    public static func yamlPosition(_ error: Error) -> String {
        if let y = error as? YamlError, case .parser(_, _, let mark, _) = y {
            return " (line \(mark.line), column \(mark.column))"
        }
        if let y = error as? YamlError, case .scanner(_, _, let mark, _) = y {
            return " (line \(mark.line), column \(mark.column))"
        }
        return ""
    }
}
