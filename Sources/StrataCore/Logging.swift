import Foundation
import Logging

/// Output format of service logs (`--log.format`).
public enum LogFormat: String, Sendable, CaseIterable {
    case logfmt
    case json
}

/// A swift-log handler writing one line per event to stderr in logfmt or JSON, with the
/// keys Prometheus and Thanos use (`ts`, `level`, `caller`-less, `msg`, then metadata).
public struct StrataLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let format: LogFormat
    private let label: String

    public init(label: String, level: Logger.Level, format: LogFormat) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let pairs: [(String, String)] =
            [("ts", formatRFC3339(currentTimeMillis())), ("level", Self.levelName(event.level)),
             ("component", label), ("msg", "\(event.message)")]
            + all.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        let line: String
        switch format {
        case .logfmt:
            line = pairs.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + pairs.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func levelName(_ l: Logger.Level) -> String {
        switch l {
        case .trace, .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error, .critical: return "error"
        }
    }

    static func logfmtValue(_ v: String) -> String {
        if v.isEmpty { return "\"\"" }
        if v.contains(where: { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline || $0 == "\t" }) {
            return goQuote(v)
        }
        return v
    }

    /// Installs the handler process-wide; call once from a main.
    public static func bootstrap(level: String, format: String) throws {
        guard let fmt = LogFormat(rawValue: format) else {
            throw ConfigError("--log.format must be logfmt or json, got \"\(format)\"")
        }
        let lvl: Logger.Level
        switch level {
        case "debug": lvl = .debug
        case "info": lvl = .info
        case "warn": lvl = .warning
        case "error": lvl = .error
        default: throw ConfigError("--log.level must be debug, info, warn or error, got \"\(level)\"")
        }
        LoggingSystem.bootstrap { StrataLogHandler(label: $0, level: lvl, format: fmt) }
    }
}

/// A configuration or flag error; its text says what to change.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A JSON string literal with RFC 8259 escaping.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let h = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
