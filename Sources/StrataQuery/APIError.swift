import StrataCore
import StrataPromQL

/// An HTTP API error with Prometheus's `errorType` and status code.
public struct APIError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case badData = "bad_data", execution, canceled, timeout, `internal`, notFound = "not_found", unavailable
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Prometheus web/api/v1: bad_data 400, execution 422, canceled/timeout 503, not_found 404,
    /// internal and anything else 500.
    public var httpStatus: Int {
        switch kind {
        case .badData: return 400
        case .execution: return 422
        case .canceled, .timeout: return 503
        case .notFound: return 404
        case .internal, .unavailable: return 500
        }
    }

    /// `{"status":"error","errorType":...,"error":...}`.
    public var json: String { ResultJSON.error(type: kind.rawValue, message: message) }

    /// Maps engine and parser errors the way Prometheus's returnAPIError does.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as ParseError: return APIError(.badData, "\(e)")
        case let e as QueryError:
            switch e {
            case .timeout: return APIError(.timeout, "\(e)")
            case .canceled: return APIError(.canceled, "\(e)")
            case .storage: return APIError(.internal, "\(e)")
            case .badQuery: return APIError(.badData, "\(e)")
            case .tooManySamples, .execution: return APIError(.execution, "\(e)")
            }
        case is CancellationError: return APIError(.canceled, "query was canceled")
        default: return APIError(.internal, "\(error)")
        }
    }
}
