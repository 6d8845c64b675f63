import CRE2

/// An RE2 regular expression: Go/Prometheus syntax, linear-time matching on any input.
/// Immutable after construction and safe to share across tasks.
public final class RE2Regex: @unchecked Sendable {
    private let handle: OpaquePointer
    public let pattern: String

    public struct CompileError: Error, CustomStringConvertible, Sendable {
        public let pattern: String
        public let message: String
        public var description: String { "error parsing regexp: \(message): `\(pattern)`" }
    }

    public init(_ pattern: String) throws {
        var err = [CChar](repeating: 0, count: 256)
        var p = pattern
        let h: OpaquePointer? = p.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { cbuf in
                strata_re2_new(cbuf.baseAddress, cbuf.count, &err, err.count)
            }
        }
        guard let h else {
            let msg = err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CompileError(pattern: pattern, message: msg)
        }
        self.handle = h
        self.pattern = pattern
    }

    deinit { strata_re2_free(handle) }

    /// True when the whole string matches.
    public func fullMatch(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { c in
                strata_re2_full_match(handle, c.baseAddress, c.count) == 1
            }
        }
    }

    /// True when the pattern matches anywhere in the string.
    public func partialMatch(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { c in
                strata_re2_partial_match(handle, c.baseAddress, c.count) == 1
            }
        }
    }
}
