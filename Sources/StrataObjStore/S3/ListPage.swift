/// One page of a ListObjectsV2 answer, keys and common prefixes merged in S3 order.
struct ListPage {
    var names: [String]
    var isTruncated: Bool
    var nextToken: String?

    static func parse(_ xml: String) throws -> ListPage {
        let doc = xml[...]
        guard !S3XML.elements("ListBucketResult", in: doc).isEmpty else {
            throw BucketError.http(operation: "iter", key: "", status: 200, code: "", message: "answer is not a ListBucketResult")
        }
        let urlEncoded = S3XML.text("EncodingType", in: doc)?.lowercased() == "url"
        func decode(_ s: String) -> String { urlEncoded ? S3XML.urlDecode(s) : s }
        let keys = S3XML.elements("Contents", in: doc).compactMap { S3XML.text("Key", in: $0) }.map(decode)
        let prefixes = S3XML.elements("CommonPrefixes", in: doc).compactMap { S3XML.text("Prefix", in: $0) }.map(decode)
        // Both lists are sorted; merge so callers see one ascending byte-ordered sequence.
        var names: [String] = []
        names.reserveCapacity(keys.count + prefixes.count)
        var i = 0, j = 0
        while i < keys.count || j < prefixes.count {
            if j >= prefixes.count || (i < keys.count && Array(keys[i].utf8).lexicographicallyPrecedes(Array(prefixes[j].utf8))) {
                names.append(keys[i]); i += 1
            } else {
                names.append(prefixes[j]); j += 1
            }
        }
        return ListPage(names: names,
                        isTruncated: S3XML.text("IsTruncated", in: doc)?.lowercased() == "true",
                        nextToken: S3XML.text("NextContinuationToken", in: doc))
    }
}
