/// Key validation and the prefix rules shared by all buckets.
enum ObjectKey {
    /// Rejects keys that could escape a filesystem root or that S3 would treat differently
    /// from a filesystem: absolute, empty, `..`/`.` segments, NUL bytes, backslashes are allowed
    /// (S3 permits them) but `//` empty segments are not, because a filesystem collapses them.
    static func validate(_ key: String) throws {
        if key.isEmpty { throw BucketError.invalidKey(key, reason: "empty key") }
        if key.hasPrefix("/") { throw BucketError.invalidKey(key, reason: "absolute key; keys are relative to the bucket") }
        if key.utf8.contains(0) { throw BucketError.invalidKey(key, reason: "NUL byte") }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for (i, seg) in segments.enumerated() {
            if seg == ".." || seg == "." { throw BucketError.invalidKey(key, reason: "\"\(seg)\" path segment") }
            if seg.isEmpty && i != segments.count - 1 {
                throw BucketError.invalidKey(key, reason: "empty path segment (\"//\")")
            }
        }
        if key.hasSuffix("/") { throw BucketError.invalidKey(key, reason: "object keys do not end in \"/\"") }
    }

    /// Validates a listing prefix: like a key but may be empty and may end in `/`.
    static func validatePrefix(_ prefix: String) throws {
        var p = prefix
        while p.hasSuffix("/") { p.removeLast() }
        if p.isEmpty { return }
        try validate(p)
    }

    /// The listing prefix in Thanos form: empty for the root, otherwise exactly one trailing `/`.
    static func directoryPrefix(_ prefix: String) -> String {
        var p = prefix
        while p.hasSuffix("/") { p.removeLast() }
        return p.isEmpty ? "" : p + "/"
    }
}
