import AsyncHTTPClient
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// Tells "nothing answers at this endpoint" apart from other transport failures, so that
/// tools can stop at once and every message names the cause in a few words rather than as
/// a nested NIO error.
enum Reachability {
    /// A short cause when `error` means the endpoint cannot be reached at all; nil otherwise.
    static func unreachableCause(_ error: any Error) -> String? {
        if let e = error as? NIOConnectionError {
            if let dns = e.dnsAError ?? e.dnsAAAAError, e.connectionErrors.isEmpty {
                return "cannot resolve host \(e.host): \(dns)"
            }
            guard let first = e.connectionErrors.first else { return "no address to connect to for \(e.host)" }
            return unreachableCause(first.error) ?? "cannot connect to \(e.host):\(e.port): \(first.error)"
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case EHOSTUNREACH: return "no route to host"
            case ENETUNREACH: return "network unreachable"
            default: return nil
            }
        }
        if error is SocketAddressError { return "cannot resolve host: \(error)" }
        if let e = error as? HTTPClientError, e == .connectTimeout { return "connect timeout" }
        return nil
    }
}
