import Crypto
import Foundation

/// AWS Signature Version 4 for S3 header authentication (spec/object-storage.md §2).
///
/// Pure and deterministic (the time is an input) so the AWS test vector can check it.
public struct SigV4Signer: Sendable {
    public struct Credentials: Sendable {
        public var accessKey: String
        public var secretKey: String
        public var sessionToken: String

        public init(accessKey: String, secretKey: String, sessionToken: String = "") {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public let credentials: Credentials
    public let region: String
    public let service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The result of signing: headers to add to the request (including `Authorization`).
    public struct Signed: Sendable {
        public var headers: [(String, String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
    }

    /// Signs a request.
    /// - Parameters:
    ///   - canonicalURI: the already-encoded path (`/bucket/key`), `/` if empty.
    ///   - query: decoded query parameters; encoded and sorted here.
    ///   - headers: headers to sign besides the ones added here; must include `host`.
    ///   - payloadHash: hex SHA-256 of the body or `UNSIGNED-PAYLOAD`.
    public func sign(method: String, canonicalURI: String, query: [(String, String)],
                     headers: [(String, String)], payloadHash: String, date: Date) -> Signed {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers.map { ($0.0.lowercased(), $0.1) }
        all.append(("x-amz-date", amzDate))
        all.append(("x-amz-content-sha256", payloadHash))
        if !credentials.sessionToken.isEmpty { all.append(("x-amz-security-token", credentials.sessionToken)) }

        // Group duplicate names (values joined by ",") and sort by name.
        var grouped: [String: [String]] = [:]
        for (n, v) in all { grouped[n, default: []].append(Self.trimHeaderValue(v)) }
        let names = grouped.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalQuery = Self.canonicalQuery(query)

        let canonicalRequest = [
            method.uppercased(), canonicalURI.isEmpty ? "/" : canonicalURI, canonicalQuery,
            canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))

        let kDate = Self.hmac(key: SymmetricKey(data: Data(("AWS4" + credentials.secretKey).utf8)), day)
        let kRegion = Self.hmac(key: SymmetricKey(data: kDate), region)
        let kService = Self.hmac(key: SymmetricKey(data: kRegion), service)
        let kSigning = Self.hmac(key: SymmetricKey(data: kService), "aws4_request")
        let signature = Self.hex(Self.hmac(key: SymmetricKey(data: kSigning), stringToSign))

        var out: [(String, String)] = [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        if !credentials.sessionToken.isEmpty { out.append(("x-amz-security-token", credentials.sessionToken)) }
        out.append(("authorization",
                    "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return Signed(headers: out, canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature)
    }

    /// Encoded `k=v` pairs sorted by key then value, joined by `&` (also used as the URL query,
    /// so what is signed is exactly what is sent).
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query
            .map { (uriEncode($0.0), uriEncode($0.1)) }
            .sorted { a, b in
                a.0 == b.0 ? Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
                    : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    static func hmac(key: SymmetricKey, _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` and `YYYYMMDD` in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        let secs = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = Int(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400)
        let rem = Int(secs - Int64(days) * 86400)
        let c = civilDate(days)
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let day = p(c.y, 4) + p(c.m, 2) + p(c.d, 2)
        return (day + "T" + p(rem / 3600, 2) + p(rem / 60 % 60, 2) + p(rem % 60, 2) + "Z", day)
    }

    /// Days since 1970-01-01 → civil date (Howard Hinnant's algorithm).
    private static func civilDate(_ z0: Int) -> (y: Int, m: Int, d: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Trim ends, collapse internal whitespace runs to one space.
    static func trimHeaderValue(_ v: String) -> String {
        v.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// RFC 3986 encoding: unreserved kept, everything else `%XX` (uppercase); `/` kept only
    /// when `keepSlash` (object key paths), never for query components.
    public static func uriEncode(_ s: String, keepSlash: Bool = false) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
