/// Errors every bucket implementation throws.
///
/// "Not found" is its own case because callers branch on it constantly (a missing
/// `meta.json` means "partial upload", a missing marker means "not marked"); all other
/// cases carry enough context to act on, and never credentials, signatures or tokens.
public enum BucketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The object does not exist.
    case notFound(String)
    /// A conditional write (`putIfAbsent`) lost: the object already exists.
    case preconditionFailed(String)
    /// The key is not acceptable for this bucket (absolute, contains `..`, empty, ...).
    case invalidKey(String, reason: String)
    /// A range that starts past the end of the object, or a negative offset.
    case invalidRange(key: String, offset: Int64, length: Int64)
    /// A local file system error (filesystem bucket, or the local file of an upload).
    case io(operation: String, path: String, message: String)
    /// The server answered with an error status the client does not retry, or retries ran out.
    case http(operation: String, key: String, status: Int, code: String, message: String)
    /// The request never got an answer: connection refused or dropped, timeout.
    case transport(operation: String, key: String, message: String)
    /// The bucket cannot be used as configured.
    case configuration(String)
    /// The endpoint cannot be reached at all (connection refused, unknown host): a
    /// configuration mistake or an outage, worth a clear message rather than long retries.
    case unreachable(endpoint: String, bucket: String, operation: String, cause: String)
    /// The store does not implement what was asked (S3 `501 NotImplemented`, e.g. `If-Match`).
    case unsupported(operation: String, key: String, message: String)

    public var description: String {
        switch self {
        case .notFound(let k): return "object not found: \(k)"
        case .preconditionFailed(let k): return "object already exists (precondition failed): \(k)"
        case .invalidKey(let k, let r): return "invalid object key \"\(k)\": \(r)"
        case .invalidRange(let k, let o, let l): return "invalid range offset=\(o) length=\(l) for \(k)"
        case .io(let op, let p, let m): return "\(op) \(p): \(m)"
        case .http(let op, let k, let s, let c, let m):
            let what = k.isEmpty ? op : "\(op) \(k)"
            return "\(what): HTTP \(s) \(c)\(m.isEmpty ? "" : ": \(m)")"
        case .transport(let op, let k, let m):
            let what = k.isEmpty ? op : "\(op) \(k)"
            return "\(what): \(m)"
        case .configuration(let m): return "object storage configuration: \(m)"
        case .unreachable(let e, let b, let op, let c):
            return "cannot reach object storage at \(e) (bucket \(b), \(op)): \(c)"
        case .unsupported(let op, let k, let m):
            return "\(op) \(k): not supported by this object store\(m.isEmpty ? "" : ": \(m)")"
        }
    }

    /// The store is down or failing rather than the request or configuration being wrong:
    /// no answer at all, 5xx or 429 (after the retries ran out). Worth waiting out.
    public var isOutage: Bool {
        switch self {
        case .transport, .unreachable: return true
        case .http(_, _, let status, _, _): return status >= 500 || status == 429
        default: return false
        }
    }

    /// True for the not-found case; handy in `catch` clauses and filters.
    public var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}
