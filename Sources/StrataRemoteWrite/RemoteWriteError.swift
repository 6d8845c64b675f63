/// Why a remote-write request was refused, with the HTTP status the receiver answers:
/// 400 for a malformed body or invalid series (the sender must not retry: the same bytes
/// would fail again), 413 for a body that expands past the configured limit, 415 for a
/// Content-Type or Content-Encoding the handler does not speak (as Prometheus answers).
public struct RemoteWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var httpStatus: Int
    public var message: String

    public init(httpStatus: Int, _ message: String) {
        self.httpStatus = httpStatus
        self.message = message
    }

    public var description: String { message }

    /// A body that is not valid protobuf for the message (truncated, bad wire type, …).
    static func malformed(_ what: String) -> RemoteWriteError {
        RemoteWriteError(httpStatus: 400, "malformed remote write request: " + what)
    }

    static func badRequest(_ message: String) -> RemoteWriteError {
        RemoteWriteError(httpStatus: 400, message)
    }
}
