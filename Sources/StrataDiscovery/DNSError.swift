/// Why a DNS lookup gave no answer. "The name does not exist" is not among them: that is an
/// answer (an empty one), which empties an address where an error keeps the last one.
public enum DNSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Nothing came back from `server` within the timeout, on any attempt.
    case timeout(server: String, attempts: Int, after: Duration)
    /// The server answered with an error code (SERVFAIL, REFUSED, ...), so whether the name
    /// exists is unknown.
    case serverError(server: String, rcode: Int)
    /// A reply that is not a well-formed answer to our question.
    case malformed(String)
    /// A reply to another question (transaction id or question mismatch).
    case mismatch(String)
    /// The socket could not be opened, sent on or read.
    case transport(server: String, String)
    /// No nameserver to ask (resolv.conf without `nameserver` lines, unreadable file).
    case noNameservers(String)
    /// CNAME chains longer than this are not followed (a loop).
    case tooManyCNAMEs(String)

    public var description: String {
        switch self {
        case .timeout(let s, let n, let d): "no answer from nameserver \(s) (\(n) attempt\(n == 1 ? "" : "s") of \(d))"
        case .serverError(let s, let rcode): "nameserver \(s) answered \(Self.rcodeName(rcode))"
        case .malformed(let m): "malformed DNS reply: \(m)"
        case .mismatch(let m): "DNS reply to another question: \(m)"
        case .transport(let s, let m): "nameserver \(s): \(m)"
        case .noNameservers(let m): "no nameserver: \(m)"
        case .tooManyCNAMEs(let name): "CNAME chain of \(name) too long (a loop?)"
        }
    }

    static func rcodeName(_ rcode: Int) -> String {
        switch rcode {
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        default: "rcode \(rcode)"
        }
    }
}
