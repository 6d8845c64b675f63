import Logging

/// Multipart upload: initiate, upload parts in parallel (each retried on its own), complete
/// with the part ETags in order; abort on any failure so no orphaned parts stay billed.
extension S3Bucket {
    /// Part size for `size` bytes: the configured size, grown if needed to stay within
    /// S3's 10,000-part limit.
    func partSize(for size: Int64) -> Int64 {
        let minForLimit = (size + 9_999) / 10_000
        return max(config.partSize, minForLimit)
    }

    func multipartUpload(key: String, body: PutBody, size: Int64) async throws {
        let init_ = try await send("upload", key: key,
                                   S3Request(method: "POST", key: key, query: [("uploads", "")], headers: writeHeaders()),
                                   accept: [200])
        guard let uploadID = S3XML.text("UploadId", in: String(decoding: init_.body, as: UTF8.self)[...]),
              !uploadID.isEmpty else {
            throw BucketError.http(operation: "upload", key: key, status: init_.status, code: "",
                                   message: "InitiateMultipartUpload answer has no UploadId")
        }
        do {
            let etags = try await uploadParts(key: key, uploadID: uploadID, body: body, size: size)
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for (i, etag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            do {
                _ = try await send("upload", key: key,
                                   S3Request(method: "POST", key: key, query: [("uploadId", uploadID)],
                                             headers: [("content-type", "application/xml")], body: .bytes(Array(xml.utf8)[...])),
                                   accept: [200])
            } catch let e as BucketError {
                // A Complete retried after its answer was lost finds the upload gone. If the
                // object is there with the expected size, the first attempt did the work.
                guard case .http(_, _, 404, "NoSuchUpload", _) = e,
                      let attrs = try? await attributes(key), attrs.size == size else { throw e }
                logger.debug("multipart upload completed by an earlier attempt", metadata: ["key": "\(key)"])
            }
        } catch {
            await abortMultipart(key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Uploads every part, at most `partConcurrency` at once; returns ETags by part number.
    private func uploadParts(key: String, uploadID: String, body: PutBody, size: Int64) async throws -> [String] {
        let part = partSize(for: size)
        let count = Int((size + part - 1) / part)
        var etags = [String](repeating: "", count: count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            func addNext() {
                let index = next
                next += 1
                let offset = Int64(index) * part
                let length = min(part, size - offset)
                group.addTask {
                    let r = try await self.send(
                        "upload", key: key,
                        S3Request(method: "PUT", key: key,
                                  query: [("partNumber", String(index + 1)), ("uploadId", uploadID)],
                                  body: Self.requestBody(body, offset: offset, length: length)),
                        accept: [200])
                    guard let etag = r.headers.first(name: "etag"), !etag.isEmpty else {
                        throw BucketError.http(operation: "upload", key: key, status: r.status, code: "",
                                               message: "UploadPart answer has no ETag (part \(index + 1))")
                    }
                    return (index, etag)
                }
            }
            while next < min(count, partConcurrency) { addNext() }
            while let (index, etag) = try await group.next() {
                etags[index] = etag
                if next < count { addNext() }
            }
        }
        return etags
    }

    /// Best effort: a failed abort is logged, the original error is what the caller sees.
    private func abortMultipart(key: String, uploadID: String) async {
        do {
            _ = try await send("upload", key: key,
                               S3Request(method: "DELETE", key: key, query: [("uploadId", uploadID)]),
                               accept: [200, 204])
        } catch {
            logger.warning("aborting multipart upload failed; parts may remain until a lifecycle rule removes them",
                           metadata: ["key": "\(key)", "err": "\(error)"])
        }
    }
}
