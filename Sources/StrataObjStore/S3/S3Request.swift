#if canImport(Glibc)
import Glibc
#endif
import Crypto
import NIOCore

/// What one S3 call sends; turned into a signed HTTP request for each attempt.
struct S3Request: Sendable {
    var method: String
    /// Object key, or nil to address the bucket itself (listing, location).
    var key: String?
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: RequestBody = .empty
}

/// A request body that can be produced again for every retry attempt.
enum RequestBody: Sendable {
    case empty
    case bytes(ArraySlice<UInt8>)
    /// `length` bytes of a local file from `offset`: one multipart part or a whole small file.
    case file(path: String, offset: Int64, length: Int64)

    var length: Int64 {
        switch self {
        case .empty: return 0
        case .bytes(let b): return Int64(b.count)
        case .file(_, _, let l): return l
        }
    }

    /// The `x-amz-content-sha256` value. Files over TLS are sent `UNSIGNED-PAYLOAD` (TLS
    /// protects integrity; hashing would read the file twice); over plain HTTP the hash is
    /// computed, streaming, so the signature covers the body.
    func payloadHash(tls: Bool) throws -> String {
        switch self {
        case .empty: return SigV4Signer.emptyPayloadHash
        case .bytes(let b): return SigV4Signer.hex(SHA256.hash(data: b))
        case .file(let path, let offset, let length):
            if tls { return SigV4Signer.unsignedPayload }
            var hasher = SHA256()
            guard let fd = try Posix.openForReading(path) else {
                throw BucketError.io(operation: "open", path: path, message: "no such regular file")
            }
            defer { _ = close(fd) }
            var buf = [UInt8](repeating: 0, count: FileChunkSource.defaultChunkSize)
            var off = offset
            var remaining = length
            while remaining > 0 {
                let want = Int(min(Int64(buf.count), remaining))
                let n = try buf.withUnsafeMutableBytes {
                    try Posix.pread(fd: fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]), offset: off, path: path)
                }
                if n == 0 { throw BucketError.io(operation: "read", path: path, message: "file shorter than expected (changed during upload?)") }
                buf.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                off += Int64(n)
                remaining -= Int64(n)
            }
            return SigV4Signer.hex(hasher.finalize())
        }
    }
}

/// The bytes of a file range as `ByteBuffer`s for AsyncHTTPClient's streaming request body.
struct FileRangeSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let offset: Int64
    let length: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let offset: Int64
        let length: Int64
        var source: FileChunkSource?
        var delivered: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            if source == nil {
                if length == 0 { return nil }
                source = try FileChunkSource.open(path: path, offset: offset, length: length)
            }
            guard let chunk = try await source!.nextChunk() else {
                if delivered < length {
                    throw BucketError.io(operation: "read", path: path, message: "file shorter than expected (changed during upload?)")
                }
                return nil
            }
            delivered += Int64(chunk.count)
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, offset: offset, length: length)
    }
}
