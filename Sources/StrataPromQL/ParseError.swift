/// A PromQL parse or type error with its byte position in the query, printed the way
/// Prometheus prints `ParseErr`: `1:5: parse error: unexpected <op:+>`.
public struct ParseError: Error, CustomStringConvertible, Sendable {
    public let position: Int
    public let message: String
    public let query: String

    public init(position: Int, message: String, query: String) {
        self.position = position
        self.message = message
        self.query = query
    }

    public var description: String {
        let bytes = Array(query.utf8)
        guard position >= 0, position <= bytes.count else { return "invalid position: parse error: \(message)" }
        var line = 1
        var lastBreak = -1
        for i in 0..<position where bytes[i] == 10 {
            line += 1
            lastBreak = i
        }
        return "\(line):\(position - lastBreak): parse error: \(message)"
    }
}
