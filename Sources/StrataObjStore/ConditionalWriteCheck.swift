extension Bucket {
    /// Checks, on a scratch object at `key`, that the store really honours conditional
    /// writes: `If-None-Match: *` refuses an existing object, `If-Match` refuses a wrong ETag
    /// and accepts the right one. Some S3-compatible stores ignore the headers and write
    /// anyway, which no single answer reveals; a lock built on them would let two holders in.
    /// Throws `.unsupported` saying which guarantee is missing. Deletes the scratch object.
    public func checkConditionalWrites(scratchKey key: String) async throws {
        try await put(key, bytes: Array("first".utf8))
        do {
            if try await putIfAbsent(key, body: .bytes(Array("second".utf8))) {
                throw BucketError.unsupported(operation: "upload_if_absent", key: key,
                                              message: "If-None-Match: * was ignored (an existing object was overwritten)")
            }
            let v = try await getVersioned(key)
            if try await putIfMatch(key, body: Array("third".utf8), etag: "\"00000000000000000000000000000000\"") {
                throw BucketError.unsupported(operation: "upload_if_match", key: key,
                                              message: "If-Match was ignored (an object with another ETag was overwritten)")
            }
            let last = Array("fourth".utf8)
            // A lost answer to an accepted write reads back as the new content.
            if try await !putIfMatch(key, body: last, etag: v.etag), try await getBytes(key) != last {
                throw BucketError.unsupported(operation: "upload_if_match", key: key,
                                              message: "If-Match with the object's own ETag \(v.etag) was refused")
            }
        } catch {
            try? await deleteIfExists(key)
            throw error
        }
        try await deleteIfExists(key)
    }
}
