import StrataObjStore
import Synchronization

/// A bucket whose connection dies after `allowedPuts` writes, like an uploader killed
/// mid-upload: every later write fails.
public final class DyingBucket: ForwardingBucket, @unchecked Sendable {
    let allowedPuts: Int
    let puts = Mutex(0)
    public struct Died: Error {}
    public init(base: any Bucket, allowedPuts: Int) {
        self.allowedPuts = allowedPuts
        super.init(base: base)
    }
    public override func put(_ key: String, body: PutBody) async throws {
        let n = puts.withLock { $0 += 1; return $0 }
        if n > allowedPuts { throw Died() }
        try await base.put(key, body: body)
    }
}
