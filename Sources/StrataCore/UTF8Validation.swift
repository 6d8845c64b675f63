/// Decodes UTF-8 into a String, nil when invalid. Prometheus refuses label names and values
/// that are not valid UTF-8 (`model.UTF8Validation`), so the check cannot be skipped. Label
/// data is nearly always ASCII: that is checked eight bytes at a time and the string built
/// with `String(decoding:as:)`, whose specialized copy is several times faster than the
/// generic `String(validating:as:)` (measured: the latter instantiated generic metadata per
/// call and cost ~100 ns a label). Strings of up to 15 bytes — most label names — are stored
/// inline without allocating.
@inlinable
public func validatedString(_ bytes: UnsafeRawBufferPointer) -> String? {
    let u8 = UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    if isASCII(bytes) { return String(decoding: u8, as: UTF8.self) }
    return String(validating: u8, as: UTF8.self)
}

@inlinable
public func isASCII(_ b: UnsafeRawBufferPointer) -> Bool {
    guard let base = b.baseAddress else { return true }
    var i = 0
    let n = b.count
    var acc: UInt64 = 0
    while i + 8 <= n {
        acc |= base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        i += 8
    }
    while i < n {
        acc |= UInt64(base.load(fromByteOffset: i, as: UInt8.self))
        i += 1
    }
    return acc & 0x8080_8080_8080_8080 == 0
}
