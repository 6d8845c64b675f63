import Foundation
import Testing
@testable import StrataObjStore

@Suite("SigV4")
struct SigV4Tests {
    /// The AWS documented GET example (spec/object-storage.md §2).
    @Test func awsGetObjectVector() {
        let signer = SigV4Signer(
            credentials: .init(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let s = signer.sign(method: "GET", canonicalURI: "/test.txt", query: [],
                            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                            payloadHash: SigV4Signer.emptyPayloadHash, date: date)
        #expect(SigV4Signer.sha256Hex(Array(s.canonicalRequest.utf8))
                == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(s.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let auth = s.headers.first { $0.0 == "authorization" }?.1
        #expect(auth == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func queryIsEncodedAndSorted() {
        #expect(SigV4Signer.canonicalQuery([("uploads", "")]) == "uploads=")
        #expect(SigV4Signer.canonicalQuery([("prefix", "a b/c"), ("list-type", "2"), ("delimiter", "/")])
                == "delimiter=%2F&list-type=2&prefix=a%20b%2Fc")
    }

    @Test func keyPathEncoding() {
        #expect(SigV4Signer.uriEncode("01ABC/chunks/000001", keepSlash: true) == "01ABC/chunks/000001")
        #expect(SigV4Signer.uriEncode("a b+c=ü", keepSlash: true) == "a%20b%2Bc%3D%C3%BC")
    }

    @Test func sessionTokenIsSigned() {
        let signer = SigV4Signer(credentials: .init(accessKey: "AK", secretKey: "SK", sessionToken: "TOKEN"), region: "eu-west-1")
        let s = signer.sign(method: "HEAD", canonicalURI: "/b/k", query: [], headers: [("host", "h")],
                            payloadHash: SigV4Signer.emptyPayloadHash, date: Date(timeIntervalSince1970: 0))
        #expect(s.canonicalRequest.contains("x-amz-security-token:TOKEN\n"))
        #expect(s.headers.contains { $0.0 == "x-amz-security-token" && $0.1 == "TOKEN" })
        #expect(s.headers.first { $0.0 == "authorization" }!.1.contains("/19700101/eu-west-1/s3/aws4_request"))
    }
}
